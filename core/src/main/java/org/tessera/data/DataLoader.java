package org.tessera.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;

/**
 * Mini-batches of {@code (x, y)} along dim 0, as PyTorch's DataLoader over a TensorDataset. Each pass over the
 * loader (each {@link #iterator()}) is one epoch: with {@code shuffle}, a fresh permutation drawn from the
 * {@link Rng} (Fisher-Yates), so a seed fixes the order of every epoch. Batches live on the device of {@code x}
 * (rows are gathered there; without shuffling they are views), and the next batch is prepared on a background
 * thread while the caller works on the current one.
 *
 * <p>Ownership: a batch is closed by the loader when the next one is requested (or the epoch ends), so a
 * training loop allocates nothing that outlives its step; copy what must be kept. Not thread-safe.
 */
public final class DataLoader implements Iterable<Batch> {
    private static final ExecutorService PREFETCH = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tessera-data-prefetch");
        t.setDaemon(true);
        return t;
    });

    private final Tensor x, y;
    private final int batchSize;
    private final boolean shuffle;
    private final Rng rng;
    private boolean dropLast;

    public DataLoader(Tensor x, Tensor y, int batchSize, boolean shuffle, Rng rng) {
        if (x == null || y == null) throw new IllegalArgumentException("DataLoader needs inputs and targets");
        if (x.dim() < 1 || y.dim() < 1 || x.shape(0) != y.shape(0)) {
            throw new IllegalArgumentException("DataLoader: inputs " + java.util.Arrays.toString(x.shape()) + " and targets "
                    + java.util.Arrays.toString(y.shape()) + " must have the same length along dim 0");
        }
        if (x.device() != y.device()) throw new IllegalArgumentException("DataLoader: inputs on " + x.device() + ", targets on " + y.device());
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        if (shuffle && rng == null) throw new IllegalArgumentException("a shuffling DataLoader needs an Rng");
        this.x = x;
        this.y = y;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.rng = rng;
    }

    /** Drops the last batch when it would be smaller than the batch size. Returns this. */
    public DataLoader dropLast(boolean dropLast) {
        this.dropLast = dropLast;
        return this;
    }

    /** Batches per epoch. */
    public int batches() {
        int n = x.shape(0);
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Examples per epoch (fewer than the data when the last batch is dropped). */
    public int examples() {
        return Math.min(x.shape(0), batches() * batchSize);
    }

    @Override
    public Iterator<Batch> iterator() {
        return new Epoch(shuffle ? permutation(x.shape(0), rng) : null);
    }

    /** A uniformly random permutation of 0..n-1 (Fisher-Yates, from the end). */
    static int[] permutation(int n, Rng rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private final class Epoch implements Iterator<Batch> {
        private final int[] order;
        private final int count = batches();
        private int next;
        private Batch current;
        private CompletableFuture<Batch> pending;

        Epoch(int[] order) {
            this.order = order;
            if (count > 0) pending = prepare(0);
        }

        private CompletableFuture<Batch> prepare(int b) {
            return CompletableFuture.supplyAsync(() -> make(b), PREFETCH);
        }

        private Batch make(int b) {
            int from = b * batchSize, len = Math.min(batchSize, x.shape(0) - from);
            try (var off = Autograd.noGrad()) {
                if (order == null) return new Batch(Scope.untrack(x.narrow(0, from, len)), Scope.untrack(y.narrow(0, from, len)));
                int[] rows = java.util.Arrays.copyOfRange(order, from, from + len);
                return new Batch(rowsOf(x, rows), rowsOf(y, rows));
            }
        }

        @Override
        public boolean hasNext() {
            if (next < count) return true;
            closeCurrent();
            return false;
        }

        @Override
        public Batch next() {
            if (next >= count) throw new NoSuchElementException("the epoch has " + count + " batches");
            closeCurrent();
            try {
                current = pending.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while preparing a batch", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
            next++;
            pending = next < count ? prepare(next) : null;
            return current;
        }

        private void closeCurrent() {
            if (current != null) current.close();
            current = null;
        }
    }

    /** Rows {@code rows} of {@code t} (dim 0), copied on t's device. */
    static Tensor rowsOf(Tensor t, int[] rows) {
        try (Tensor index = Tensor.of(t.device(), rows, rows.length)) {
            return Scope.untrack(t.indexSelect(0, index));
        }
    }
}
