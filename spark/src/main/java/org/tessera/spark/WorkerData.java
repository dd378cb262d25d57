package org.tessera.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.data.Batch;
import org.tessera.data.DataLoader;
import org.tessera.parallel.DataParallel;

/**
 * What one worker trains on, step by step: its shard of each global batch, the weight of the shard's mean loss (its
 * share of that batch) and the random streams that order the data (checkpointed so a resumed run replays them).
 */
abstract class WorkerData implements AutoCloseable {
    /** One step's share of a worker: rows x, targets y, weight b_r / B, and B. */
    record Shard(Tensor x, Tensor y, double weight, int globalRows) {}

    /** Turns a task's partition into its data, on its device. */
    interface Plan<T> extends Serializable {
        WorkerData open(Iterator<T> partition, Device device, int rank, int workers, int batch, long seed, boolean shuffle) throws IOException;
    }

    final int rank, workers, batch;
    final Map<String, Rng> streams = new LinkedHashMap<>();

    WorkerData(int rank, int workers, int batch) {
        this.rank = rank;
        this.workers = workers;
        this.batch = batch;
    }

    /** Examples this worker holds (reported to the others before training). */
    abstract int examples();

    /**
     * Settles the steps per epoch from every worker's {@link #examples()}; returns why training cannot go on, or null.
     * The same answer on every worker: they all see the same counts.
     */
    abstract String agree(int[] examplesPerWorker);

    abstract int stepsPerEpoch();

    /** The examples one epoch visits over all workers. */
    abstract long examplesPerEpoch();

    /** This worker's shards for the next epoch, one per step. */
    abstract Iterator<Shard> epoch();

    /** Frees the data's tensors. */
    @Override
    public abstract void close();

    /** Where worker r's contiguous share of {@code rows} starts: as {@code DataParallel} cuts a batch. */
    static int from(long rows, int r, int workers) {
        return DataParallel.shardStart(rows, r, workers);
    }

    /** Every worker trains on its own partition, in local batches that make up one global batch per step. */
    static Plan<Example> partitions() {
        return (partition, device, rank, workers, batch, seed, shuffle) -> {
            List<Example> rows = new ArrayList<>();
            partition.forEachRemaining(rows::add);
            return new Partitioned(rows, device, rank, workers, batch, seed, shuffle);
        };
    }

    /** Every worker loads the whole dataset and takes its contiguous shard of each shuffled global batch. */
    static Plan<Integer> shared(SparkTrainer.SharedDataset source) {
        return (partition, device, rank, workers, batch, seed, shuffle) -> new Shared(source.load(device), rank, workers, batch, seed, shuffle);
    }

    /** An iterator over the first {@code steps} batches of a loader, mapped to shards. */
    private static Iterator<Shard> shards(DataLoader loader, int steps, java.util.function.Function<Batch, Shard> cut) {
        Iterator<Batch> batches = loader.iterator();
        return new Iterator<>() {
            int done;

            @Override
            public boolean hasNext() {
                return done < steps && batches.hasNext();
            }

            @Override
            public Shard next() {
                if (!hasNext()) throw new NoSuchElementException("the epoch has " + steps + " steps");
                done++;
                return cut.apply(batches.next());
            }
        };
    }

    private static final class Partitioned extends WorkerData {
        private final Tensor x, y;
        private final int local;      // this worker's rows per step
        private final DataLoader loader;
        private int steps;

        Partitioned(List<Example> rows, Device device, int rank, int workers, int batch, long seed, boolean shuffle) {
            super(rank, workers, batch);
            local = from(batch, rank + 1, workers) - from(batch, rank, workers);
            if (rows.isEmpty()) {
                x = y = null;
                loader = null;
                return;
            }
            int features = rows.get(0).features().length;
            float[] xs = new float[rows.size() * features];
            int[] ys = new int[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                float[] f = rows.get(i).features();
                if (f.length != features) {
                    throw new IllegalArgumentException("example " + i + " of the partition has " + f.length + " features, the first had " + features);
                }
                System.arraycopy(f, 0, xs, i * features, features);
                ys[i] = rows.get(i).label();
            }
            x = Tensor.of(device, xs, rows.size(), features);
            y = Tensor.of(device, ys, rows.size());
            Rng order = new Rng(seed + 1 + 1000L * rank);
            streams.put("shuffle." + rank, order);
            loader = new DataLoader(x, y, local, shuffle, order).dropLast(true);
        }

        @Override
        int examples() {
            return x == null ? 0 : x.shape(0);
        }

        @Override
        String agree(int[] counts) {
            int fewest = Integer.MAX_VALUE;
            for (int r = 0; r < workers; r++) {
                int share = from(batch, r + 1, workers) - from(batch, r, workers);
                if (counts[r] < share) {
                    return "worker " + r + "'s partition has " + counts[r] + " examples, fewer than its " + share + " of each batch of " + batch;
                }
                fewest = Math.min(fewest, counts[r] / share);
            }
            steps = fewest;   // every step is a whole global batch; the longer partitions' extra rows wait for the next epoch's order
            return null;
        }

        @Override
        int stepsPerEpoch() {
            return steps;
        }

        @Override
        long examplesPerEpoch() {
            return (long) steps * batch;
        }

        @Override
        Iterator<Shard> epoch() {
            double weight = local / (double) batch;
            return shards(loader, steps, b -> new Shard(b.x(), b.y(), weight, batch));
        }

        @Override
        public void close() {
            if (x != null) {
                x.close();
                y.close();
            }
        }
    }

    private static final class Shared extends WorkerData {
        private final Batch all;
        private final DataLoader loader;

        Shared(Batch all, int rank, int workers, int batch, long seed, boolean shuffle) {
            super(rank, workers, batch);
            this.all = all;
            Rng order = new Rng(seed + 1);      // the same order on every worker (and as tessera train's "shuffle")
            streams.put("shuffle", order);
            loader = new DataLoader(all.x(), all.y(), batch, shuffle, order);
        }

        @Override
        int examples() {
            return all.size();
        }

        @Override
        String agree(int[] counts) {
            for (int r = 1; r < workers; r++) {
                if (counts[r] != counts[0]) return "worker " + r + " loaded " + counts[r] + " examples, worker 0 " + counts[0] + ": the dataset differs between executors";
            }
            int last = counts[0] % batch;
            if (last != 0 && last < workers) {
                return "the last batch of each epoch would have " + last + " examples for " + workers + " workers; choose another batch size";
            }
            return null;
        }

        @Override
        int stepsPerEpoch() {
            return loader.batches();
        }

        @Override
        long examplesPerEpoch() {
            return all.size();
        }

        @Override
        Iterator<Shard> epoch() {
            return shards(loader, loader.batches(), b -> {
                int rows = b.size(), from = from(rows, rank, workers), to = from(rows, rank + 1, workers);
                return new Shard(b.x().narrow(0, from, to - from), b.y().narrow(0, from, to - from), (to - from) / (double) rows, rows);
            });
        }

        @Override
        public void close() {
            all.close();
        }
    }
}
