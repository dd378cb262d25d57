package org.tessera.spark;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;
import org.tessera.graph.HookHandle;
import org.tessera.parallel.GradientBuckets;

/**
 * A worker's side of summing gradients (over the ring, or the host's shared memory), overlapped with backward as DistributedDataParallel does: the
 * parameters are cut into buckets ({@link GradientBuckets}, last layer first), each parameter's gradient is copied to
 * its host array as soon as backward has produced it (a post-accumulate hook), and a bucket whose gradients are all
 * there is summed on a thread of its own while backward goes on with the earlier layers. Buckets go into the ring in
 * index order on every worker, whatever order they fill in, so every worker's messages match. After backward, the
 * buckets of parameters it did not reach (zeros), then one small sum of [has-gradient flags..., weighted loss]; a
 * parameter whose flag sums to 0 keeps no gradient, as on one device.
 */
final class GradientExchange implements AutoCloseable {
    private final List<Tensor> params;
    private final java.util.function.Consumer<float[][]> sum;
    private final GradientBuckets buckets;
    private final float[][] host;          // per parameter, its gradient on the host (reused every step)
    private final float[][][] bucketArrays; // per bucket, its parameters' host arrays in bucket order
    private final float[] tail;            // [has-gradient flag per parameter..., weighted loss]
    private final ExecutorService sender;
    private final List<HookHandle> hooks;
    // one step's state; touched only on the worker's thread (backward runs hooks on the thread that calls it)
    private final int[] pending;
    private final boolean[] reached;
    private final Tensor[] grads;
    private final Future<?>[] sums;
    private int launched;
    private boolean open;
    /** The largest all-reduce an exchange over {@code params} makes, in floats (a shared-memory slot's size). */
    static int largestSum(List<Tensor> params, long bucketBytes) {
        GradientBuckets b = new GradientBuckets(params, bucketBytes);
        int most = params.size() + 1;
        for (int k = 0; k < b.size(); k++) most = Math.max(most, b.get(k).numel());
        return most;
    }

    /** Nanoseconds spent waiting for the sums after backward, and copying the sums into the gradients. */
    long waitNanos, unpackNanos;

    /** {@code sum}: the all-reduce of a list of arrays, the ring's or the host's shared memory; {@code rank} names the thread. */
    GradientExchange(List<Tensor> params, java.util.function.Consumer<float[][]> sum, int rank, long bucketBytes) {
        this.params = params;
        this.sum = sum;
        this.buckets = new GradientBuckets(params, bucketBytes);
        int np = params.size(), nb = buckets.size();
        host = new float[np][];
        for (int i = 0; i < np; i++) host[i] = new float[Math.toIntExact(params.get(i).numel())];
        bucketArrays = new float[nb][][];
        for (int b = 0; b < nb; b++) bucketArrays[b] = Arrays.stream(buckets.get(b).params()).mapToObj(i -> host[i]).toArray(float[][]::new);
        tail = new float[np + 1];
        pending = new int[nb];
        reached = new boolean[np];
        grads = new Tensor[np];
        sums = new Future<?>[nb];
        sender = Executors.newSingleThreadExecutor(job -> {
            Thread t = new Thread(job, "tessera-gradient-sums-" + rank);
            t.setDaemon(true);
            return t;
        });
        hooks = new java.util.ArrayList<>();
        for (int i = 0; i < np; i++) {
            int index = i;
            hooks.add(params.get(i).registerPostAccumulateGradHook(p -> produced(index)));
        }
    }

    /** Before backward: nothing produced, nothing sent. */
    void begin() {
        for (int b = 0; b < buckets.size(); b++) pending[b] = buckets.get(b).params().length;
        Arrays.fill(reached, false);
        Arrays.fill(grads, null);
        Arrays.fill(sums, null);
        launched = 0;
        open = true;
    }

    /** The hook: parameter i's gradient is complete for this backward. */
    private void produced(int i) {
        if (!open || reached[i]) return;
        reached[i] = true;
        grads[i] = params.get(i).grad();
        grads[i].copyTo(host[i]);
        if (--pending[buckets.bucketOf(i)] == 0) launchReady();
    }

    /** Starts the sums of the buckets that are complete, in index order, stopping at the first that is not. */
    private void launchReady() {
        while (launched < buckets.size() && pending[launched] == 0) {
            float[][] arrays = bucketArrays[launched];
            sums[launched++] = sender.submit(() -> sum.accept(arrays));
        }
    }

    /**
     * After backward: sends what backward did not reach, waits for every sum, and makes each parameter's gradient the
     * sum (copied into the gradient backward made, or a new one). Returns the summed weighted loss.
     */
    double finish(double weightedLoss) {
        long t0 = System.nanoTime();
        int np = params.size();
        for (int i = 0; i < np; i++) {
            tail[i] = reached[i] ? 1 : 0;
            if (reached[i]) continue;
            Arrays.fill(host[i], 0f);
            pending[buckets.bucketOf(i)]--;
        }
        open = false;
        launchReady();
        tail[np] = (float) weightedLoss;
        for (Future<?> f : sums) await(f);
        sum.accept(new float[][] {tail});
        long t1 = System.nanoTime();
        try (var noGrad = Autograd.noGrad()) {
            for (int i = 0; i < np; i++) {
                if (tail[i] == 0) continue;
                Tensor p = params.get(i);
                if (grads[i] == null) p.setGrad(grads[i] = Tensor.zeros(p.device(), DType.F32, p.shape()));
                grads[i].copyFrom(host[i]);
            }
        }
        waitNanos += t1 - t0;
        unpackNanos += System.nanoTime() - t1;
        return tail[np];
    }

    /** After the optimiser step: the gradients were handed out (grad()), so zeroGrad alone would leave them to the GC. */
    void release() {
        for (int i = 0; i < params.size(); i++) {
            if (grads[i] == null) continue;
            params.get(i).zeroGrad();
            grads[i].close();
            grads[i] = null;
        }
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the gradients were summed", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        hooks.forEach(HookHandle::remove);
        sender.shutdownNow();
    }
}
