package org.tessera.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.data.Batch;
import org.tessera.nn.Module;
import org.tessera.optim.LRSchedule;
import org.tessera.optim.Optimizer;

/**
 * Trains one model data-parallel on the tasks of a Spark job, as Horovod and TorchDistributor do: one barrier stage
 * ({@code RDD.barrier()}) with a task per worker. The tasks exchange addresses with
 * {@code BarrierTaskContext.allGather}, build the same model (checked by a parameter hash before any step), and
 * after each backward sum their gradients over a TCP ring ({@link RingAllReduce}); every worker applies the same
 * optimiser step. Each worker takes its share of every global batch of {@link #batch(int)} examples, weighted by its
 * share, so a step computes the batch mean's gradient, as {@code DataParallel} does in one process.
 *
 * <pre>{@code
 * SparkTrainer.Result r = new SparkTrainer(new JavaSparkContext(conf)).workers(2).batch(128)
 *         .checkpoints(Path.of("/shared/run1"))
 *         .fit(examples, (device, random) -> myModel(device, random), ps -> new Adam(ps, 1e-3), 10);
 * model.loadStateDict(r.stateDict());
 * }</pre>
 *
 * <p>Data: an RDD of {@link Example}s, each worker training on its partition (coalesced to one per worker), or a
 * {@link SharedDataset} that every worker loads whole (the same files on every executor), each then taking its
 * contiguous shard of each shuffled global batch: exactly the batches of one device, so a run matches
 * {@code tessera train --devices} with as many replicas.
 *
 * <p>Faults: with {@link #checkpoints(Path)} worker 0 writes a checkpoint after every epoch to a directory every
 * executor reaches; when a task dies Spark retries the whole barrier stage, and the retry resumes from the last
 * checkpoint (parameters, optimiser state, schedule, every worker's random streams), ending where an uninterrupted
 * run ends. Spark retries a stage up to {@code spark.stage.maxConsecutiveAttempts} (4) times; in local mode a task
 * failure is retried only with {@code local[N,F]}, F above 1. Problems that retrying cannot fix (a device missing on
 * an executor, workers that build different models, a partition smaller than a worker's share of a batch) are
 * reported by every worker to every worker before any step, and {@code fit} throws them as one
 * {@link IllegalArgumentException} without retrying.
 */
public final class SparkTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(SparkTrainer.class);

    /** Builds a worker's model on its device. Must build the same parameters on every worker (seed the initialisation). */
    @FunctionalInterface
    public interface ModelFactory extends Serializable {
        /** {@code random}: this worker's stream for dropout and other randomness in training (checkpointed). */
        Module create(Device device, Rng random);
    }

    /** Builds a worker's optimiser over its model's parameters. */
    @FunctionalInterface
    public interface OptimizerFactory extends Serializable {
        Optimizer create(List<Tensor> parameters);
    }

    /** The mean loss of a worker's shard (a one-element tensor), as {@code DataParallel.step} takes it, serialisable. */
    @FunctionalInterface
    public interface Loss extends java.util.function.BiFunction<Tensor, Tensor, Tensor>, Serializable {}

    /** A learning-rate schedule over the whole run's {@code totalSteps} optimiser steps, stepped after each. */
    @FunctionalInterface
    public interface ScheduleFactory extends Serializable {
        LRSchedule create(Optimizer optimizer, long totalSteps);
    }

    /** A figure of merit worker 0 computes after each epoch (e.g. test accuracy); the model is in training mode after. */
    @FunctionalInterface
    public interface Evaluator extends Serializable {
        double evaluate(Module model, Device device) throws IOException;
    }

    /**
     * One epoch as the workers saw it. {@code metric} is the evaluator's (NaN without one); time excludes it. Each
     * step's mean loss over its global batch and the batch's rows, in order, for curves.
     */
    public record Epoch(int epoch, double trainLoss, double metric, double seconds, double samplesPerSecond, double[] stepLosses, int[] stepRows)
            implements Serializable {}

    /** What {@code fit} returns: the trained parameters (on the driver's CPU) and every epoch trained by this call. */
    public record Result(Map<String, Tensor> stateDict, List<Epoch> epochs) {}

    /** The default loss: cross-entropy of logits against integer class labels, averaged over the shard. */
    public static final Loss CROSS_ENTROPY = (out, y) -> out.crossEntropy(y).mean();

    private final JavaSparkContext spark;
    private int workers;
    private String device = "auto";
    private int batch = 128;
    private long seed;
    private boolean shuffle = true;
    private Loss loss = CROSS_ENTROPY;
    private ScheduleFactory schedule;
    private Evaluator evaluator;
    private Path checkpoints;
    private Duration timeout = Duration.ofMinutes(2);
    private boolean sharedMemory = true;
    private int failWorker = -1;
    private long failStep = -1;

    /** A trainer on this Spark application, with as many workers as its default parallelism (the cores of local[N]). */
    public SparkTrainer(JavaSparkContext spark) {
        if (spark == null) throw new IllegalArgumentException("SparkTrainer needs a JavaSparkContext");
        this.spark = spark;
        this.workers = spark.defaultParallelism();
    }

    /** Tasks (workers) of the barrier stage; Spark must have as many task slots free at once. */
    public SparkTrainer workers(int n) {
        if (n < 1) throw new IllegalArgumentException("workers must be positive, got " + n);
        workers = n;
        return this;
    }

    /**
     * Each worker's device, resolved on its executor: "cpu:1", "opencl:0", ..., or "auto" (the default): an OpenCL GPU
     * if the executor has one, else the CPU with the task's {@code spark.task.cpus} threads.
     */
    public SparkTrainer device(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("device spec is empty");
        device = spec.trim();
        return this;
    }

    /** Examples per optimiser step over all workers (split between them as evenly as possible). Default 128. */
    public SparkTrainer batch(int n) {
        if (n < 1) throw new IllegalArgumentException("batch size must be positive, got " + n);
        batch = n;
        return this;
    }

    /** Seeds the shuffling and each worker's random stream (worker r: {@code DataParallel.replicaStream(seed, r)}, replica r's in tessera train). */
    public SparkTrainer seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Whether each epoch visits the examples in a new random order (default true). */
    public SparkTrainer shuffle(boolean shuffle) {
        this.shuffle = shuffle;
        return this;
    }

    public SparkTrainer loss(Loss loss) {
        if (loss == null) throw new IllegalArgumentException("loss is null");
        this.loss = loss;
        return this;
    }

    /** A learning-rate schedule (none by default). */
    public SparkTrainer schedule(ScheduleFactory schedule) {
        this.schedule = schedule;
        return this;
    }

    /** What worker 0 measures after each epoch, returned as {@link Epoch#metric()}. */
    public SparkTrainer evaluator(Evaluator evaluator) {
        this.evaluator = evaluator;
        return this;
    }

    /**
     * A directory every executor can read and write (a shared file system): worker 0 writes
     * {@value TrainingTask#CHECKPOINT} there after each epoch, and a stage that Spark retries, or a later {@code fit}
     * given the same directory, resumes from it. Without one a retried stage starts again from the beginning.
     */
    public SparkTrainer checkpoints(Path dir) {
        checkpoints = dir;
        return this;
    }

    /** How long a worker waits for a peer (to connect, or to send its part of a sum) before it fails the stage. */
    public SparkTrainer timeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        this.timeout = timeout;
        return this;
    }

    /**
     * Whether workers that all run on one host sum their gradients through shared memory (a mapped file in /dev/shm)
     * rather than loopback TCP (default true; the ring still carries everything else).
     */
    public SparkTrainer sharedMemory(boolean on) {
        sharedMemory = on;
        return this;
    }

    /**
     * Fault injection for tests and drills: worker {@code worker} throws just before global step {@code step} (counted
     * from 0 over the whole run) in the stage's first attempt only, so Spark retries the stage.
     */
    public SparkTrainer failAt(int worker, long step) {
        if (worker < 0 || step < 0) throw new IllegalArgumentException("failAt needs a worker and a step >= 0, got " + worker + ", " + step);
        failWorker = worker;
        failStep = step;
        return this;
    }

    /** Trains on an RDD: each worker on one partition (partitions are coalesced to one per worker, never split). */
    public Result fit(JavaRDD<Example> data, ModelFactory model, OptimizerFactory optimizer, int epochs) {
        if (data == null) throw new IllegalArgumentException("data is null");
        int partitions = data.getNumPartitions();
        if (partitions < workers) {
            throw new IllegalArgumentException("the data has " + partitions + " partitions for " + workers + " workers: each worker trains on "
                    + "a partition of its own (repartition the RDD to at least " + workers + ")");
        }
        JavaRDD<Example> perWorker = partitions == workers ? data : data.coalesce(workers);
        return run(perWorker, WorkerData.partitions(), model, optimizer, epochs);
    }

    /** Trains on a dataset every worker loads whole, each taking its shard of every global batch. */
    public Result fit(SharedDataset data, ModelFactory model, OptimizerFactory optimizer, int epochs) {
        if (data == null) throw new IllegalArgumentException("data is null");
        JavaRDD<Integer> slots = spark.parallelize(IntStream.range(0, workers).boxed().toList(), workers);
        return run(slots, WorkerData.shared(data), model, optimizer, epochs);
    }

    private <T> Result run(JavaRDD<T> input, WorkerData.Plan<T> plan, ModelFactory model, OptimizerFactory optimizer, int epochs) {
        if (model == null || optimizer == null) throw new IllegalArgumentException("fit needs a model factory and an optimiser factory");
        if (epochs < 1) throw new IllegalArgumentException("epochs must be positive, got " + epochs);
        if (batch < workers) {
            throw new IllegalArgumentException("a batch of " + batch + " cannot be split over " + workers + " workers: each needs at least one example");
        }
        if (failWorker >= workers) throw new IllegalArgumentException("failAt names worker " + failWorker + " of " + workers);
        int slots = spark.defaultParallelism();
        if (workers > slots) {
            throw new IllegalArgumentException(workers + " workers need as many task slots at once (a barrier stage), but Spark has "
                    + slots + " (" + spark.master() + ")");
        }
        String dir = null;
        if (checkpoints != null) {
            try {
                Files.createDirectories(checkpoints);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the checkpoint directory " + checkpoints, e);
            }
            dir = checkpoints.toAbsolutePath().toString();
        }
        TrainingTask.Settings settings = new TrainingTask.Settings(workers, device, batch, seed, shuffle, epochs, loss, schedule, evaluator,
                dir, timeout.toMillis(), sharedMemory, failWorker, failStep);
        TrainingTask<T> task = new TrainingTask<>(settings, plan, model, optimizer);
        LOG.info("training on {} Spark workers ({}), device {}, batch {}, {} epochs", workers, spark.master(), device, batch, epochs);
        TrainingTask.Outcome outcome;
        try {
            outcome = task.launch(input);
        } catch (Exception e) {          // Scala throws SparkException without declaring it
            if (e instanceof RuntimeException r && !(e instanceof SparkException)) throw r;
            throw new IllegalStateException("the training stage failed: " + rootMessage(e), e);
        }
        if (outcome.refusal() != null) throw new IllegalArgumentException(outcome.refusal());
        return new Result(outcome.stateDict(Device.cpu()), outcome.epochs());
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        return c == t ? String.valueOf(t.getMessage()) : c.getClass().getSimpleName() + ": " + c.getMessage() + " (" + t.getMessage() + ")";
    }

    /** A dataset every worker can load in full, identically (the same files on every executor). */
    @FunctionalInterface
    public interface SharedDataset extends Serializable {
        /** The training inputs and targets, on {@code device}. */
        Batch load(Device device) throws IOException;
    }
}
