package org.tessera.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;
import org.tessera.io.Checkpoint;
import org.tessera.nn.Module;
import org.tessera.optim.LRSchedule;
import org.tessera.optim.Optimizer;
import org.tessera.parallel.DataParallel;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * The body of {@link SparkTrainer}'s barrier stage: what every task (worker) runs. Worker 0 alone returns an
 * {@link Outcome}: the trained parameters and the epochs, or why training was refused.
 *
 * <p>Before any step the workers exchange one line each ({@code allGather}): where their ring socket listens, a hash
 * of their model's parameters, how many examples they hold, and (worker 0) the epoch of the checkpoint to resume
 * from, or a refusal. Every worker sees every line, so all decide alike whether to train.
 */
final class TrainingTask<T> extends AbstractFunction1<scala.collection.Iterator<T>, scala.collection.Iterator<TrainingTask.Outcome>>
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TrainingTask.class);
    /** The checkpoint file in the checkpoint directory; replaced atomically after each epoch. */
    static final String CHECKPOINT = "checkpoint.safetensors";

    /** Everything {@link SparkTrainer} was told, as shipped to the executors. */
    record Settings(int workers, String device, int batch, long seed, boolean shuffle, int epochs, SparkTrainer.Loss loss,
                    SparkTrainer.ScheduleFactory schedule, SparkTrainer.Evaluator evaluator, String checkpoints, long timeoutMillis,
                    boolean sharedMemory, int failWorker, long failStep) implements Serializable {}

    /** Worker 0's answer: a refusal, or the parameters (name, shape, values in order) and the epochs trained. */
    record Outcome(String refusal, LinkedHashMap<String, int[]> shapes, LinkedHashMap<String, float[]> values, List<SparkTrainer.Epoch> epochs)
            implements Serializable {
        static Outcome refused(String why) {
            return new Outcome(why, null, null, List.of());
        }

        Map<String, Tensor> stateDict(Device device) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            shapes.forEach((name, shape) -> out.put(name, Tensor.of(device, values.get(name), shape)));
            return out;
        }
    }

    private final Settings s;
    private final WorkerData.Plan<T> plan;
    private final SparkTrainer.ModelFactory modelFactory;
    private final SparkTrainer.OptimizerFactory optimizerFactory;

    TrainingTask(Settings s, WorkerData.Plan<T> plan, SparkTrainer.ModelFactory model, SparkTrainer.OptimizerFactory optimizer) {
        this.s = s;
        this.plan = plan;
        this.modelFactory = model;
        this.optimizerFactory = optimizer;
    }

    /** Runs the stage on {@code input} (one partition per worker); returns worker 0's outcome. */
    Outcome launch(JavaRDD<T> input) {
        ClassTag<Outcome> tag = ClassTag$.MODULE$.apply(Outcome.class);
        RDD<Outcome> out = input.rdd().barrier().mapPartitions(this, false, tag);
        // Spark retries a failed barrier stage only when it is a shuffle map stage (a failed result stage may have
        // committed output): the shuffle makes the training stage one, and a small result stage collects
        List<Outcome> outcomes = out.toJavaRDD().repartition(1).collect();
        if (outcomes.size() != 1) throw new IllegalStateException("expected worker 0's outcome alone, got " + outcomes.size());
        return outcomes.get(0);
    }

    @Override
    public scala.collection.Iterator<Outcome> apply(scala.collection.Iterator<T> partition) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        try (Worker w = new Worker(ctx)) {
            Outcome o = w.run(CollectionConverters.asJava(partition));
            return CollectionConverters.asScala(o == null ? List.<Outcome>of().iterator() : List.of(o).iterator());
        } catch (IOException e) {
            throw new UncheckedIOException("worker " + ctx.partitionId() + ": " + e.getMessage(), e);
        }
    }

    /** One task's state: its socket, data, model, optimiser and ring. */
    private final class Worker implements AutoCloseable {
        private final BarrierTaskContext ctx;
        private final int rank;
        private final ServerSocketChannel server;
        private final String where;
        private WorkerData data;
        private Module model;
        private Optimizer optimizer;
        private LRSchedule schedule;
        private RingAllReduce ring;
        private List<Tensor> params;
        private GradientExchange exchange;
        private SharedMemorySum shared;
        /** Nanoseconds this epoch spent in forward and backward (the sums of the last layers' buckets overlapping it). */
        private long computeNanos;
        private final Map<String, Rng> streams = new LinkedHashMap<>();

        Worker(BarrierTaskContext ctx) throws IOException {
            this.ctx = ctx;
            this.rank = ctx.partitionId();
            this.server = ServerSocketChannel.open().bind(new InetSocketAddress(0));
            String host = SparkEnv.get().blockManager().blockManagerId().host();
            this.where = host + ":" + ((InetSocketAddress) server.getLocalAddress()).getPort();
        }

        Outcome run(Iterator<T> partition) throws IOException {
            String refusal = null, hash = "", resume = "0";
            try {
                prepare(partition);
                hash = parameterHash();
                if (rank == 0) resume = Long.toString(checkpointEpoch());
            } catch (RuntimeException | IOException e) {
                LOG.debug("worker {} refuses", rank, e);
                refusal = "worker " + rank + " (" + where + "): " + e.getMessage();
            }
            String[] lines = ctx.allGather(refusal != null ? "R\t" + refusal : "K\t" + where + "\t" + hash + "\t" + data.examples() + "\t" + resume);
            List<String> refusals = new ArrayList<>();
            List<InetSocketAddress> peers = new ArrayList<>();
            int[] examples = new int[lines.length];
            String[][] fields = new String[lines.length][];
            for (int r = 0; r < lines.length; r++) {
                fields[r] = lines[r].split("\t", -1);
                if (fields[r][0].equals("R")) refusals.add(fields[r][1]);
            }
            if (lines.length != s.workers()) refusals.add("the stage has " + lines.length + " tasks for " + s.workers() + " workers");
            if (refusals.isEmpty()) {
                for (int r = 0; r < lines.length; r++) {
                    String[] hp = fields[r][1].split(":");
                    peers.add(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])));
                    examples[r] = Integer.parseInt(fields[r][3]);
                    if (!fields[r][2].equals(fields[0][2])) {
                        refusals.add("worker " + r + " built a model different from worker 0's (parameter hash " + fields[r][2] + ", worker 0 "
                                + fields[0][2] + "): the model factory must build the same parameters on every worker (seed its initialisation)");
                    }
                }
                String disagreement = data.agree(examples);
                if (disagreement != null) refusals.add(disagreement);
            }
            if (!refusals.isEmpty()) return rank == 0 ? Outcome.refused(String.join("; ", refusals)) : null;

            int start = Integer.parseInt(fields[0][4]), steps = data.stepsPerEpoch();
            if (schedule == null && s.schedule() != null) schedule = s.schedule().create(optimizer, (long) s.epochs() * steps);
            if (start > 0) resume(start, steps);
            Duration timeout = Duration.ofMillis(s.timeoutMillis());
            ring = new RingAllReduce(rank, peers, server, timeout, ctx::isInterrupted);
            boolean oneHost = peers.stream().map(InetSocketAddress::getHostString).distinct().count() == 1;
            if (oneHost && s.sharedMemory() && s.workers() > 1) {
                // every worker on this host: gradients through a mapped file, the ring for the rest (named per stage attempt,
                // so a retried stage never meets the aborted one's file)
                String name = "tessera-" + SparkEnv.get().conf().getAppId() + "-stage" + ctx.stageId() + "-" + ctx.stageAttemptNumber();
                shared = new SharedMemorySum(rank, s.workers(), SharedMemorySum.fileFor(name),
                        Math.min(1 << 22, GradientExchange.largestSum(params, DataParallel.DEFAULT_BUCKET_BYTES)), timeout, ctx::isInterrupted);
                if (rank == 0) LOG.info("the {} workers share a host: gradients are summed in shared memory ({})", s.workers(), SharedMemorySum.fileFor(name));
            }
            SharedMemorySum viaMemory = shared;
            exchange = new GradientExchange(params, viaMemory != null ? viaMemory::allReduce : ring::allReduce, rank, DataParallel.DEFAULT_BUCKET_BYTES);
            List<SparkTrainer.Epoch> epochs = new ArrayList<>();
            for (int e = start + 1; e <= s.epochs(); e++) epochs.add(epoch(e, steps));
            if (shared != null) shared.finished();
            if (rank != 0) return null;
            LinkedHashMap<String, int[]> shapes = new LinkedHashMap<>();
            LinkedHashMap<String, float[]> values = new LinkedHashMap<>();
            model.namedParameters().forEach((name, p) -> {
                shapes.put(name, p.shape());
                values.put(name, p.toFloatArray());
            });
            return new Outcome(null, shapes, values, epochs);
        }

        /** Device, data, model and optimiser; throws what makes this worker unable to train. */
        private void prepare(Iterator<T> partition) throws IOException {
            Device device = resolveDevice();
            data = plan.open(partition, device, rank, s.workers(), s.batch(), s.seed(), s.shuffle());
            streams.putAll(data.streams);
            Rng random = DataParallel.replicaStream(s.seed(), rank);    // replica r's masks in tessera train --devices
            streams.put(DataParallel.replicaStreamName(rank), random);
            model = modelFactory.create(device, random);
            params = model.parameters();
            for (var p : model.namedParameters().entrySet()) {
                Tensor t = p.getValue();
                if (t.dtype() != DType.F32) throw new IllegalArgumentException("parameter " + p.getKey() + " is " + t.dtype() + ": the ring sums F32 gradients");
                if (t.device() != device) throw new IllegalArgumentException("parameter " + p.getKey() + " is on " + t.device() + ", not the worker's " + device);
            }
            optimizer = optimizerFactory.create(params);
        }

        private Device resolveDevice() {
            if (!s.device().equals("auto")) {
                try {
                    return Device.of(s.device());
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("device " + s.device() + " is missing on this executor: " + e.getMessage(), e);
                }
            }
            Device best = Device.best();
            return best.spec().startsWith("cpu") ? Device.of("cpu:" + Math.max(1, ctx.cpus())) : best;
        }

        /** CRC-32C of every parameter's name, shape and bits, in order. */
        private String parameterHash() {
            CRC32C crc = new CRC32C();
            model.namedParameters().forEach((name, p) -> {
                crc.update(name.getBytes(StandardCharsets.UTF_8));
                crc.update(Arrays.toString(p.shape()).getBytes(StandardCharsets.UTF_8));
                float[] v = p.toFloatArray();
                ByteBuffer b = ByteBuffer.allocate(v.length * 4);
                b.asFloatBuffer().put(v);
                crc.update(b);
            });
            return Long.toHexString(crc.getValue());
        }

        private Path checkpointFile() {
            return s.checkpoints() == null ? null : Path.of(s.checkpoints(), CHECKPOINT);
        }

        /** The epoch of the checkpoint to resume from, 0 for none. */
        private long checkpointEpoch() throws IOException {
            Path f = checkpointFile();
            if (f == null || !Files.exists(f)) return 0;
            long step = Long.parseLong(org.tessera.io.SafeTensors.metadata(f).getOrDefault("step", "0"));
            if (step >= s.epochs()) LOG.info("the checkpoint {} is at epoch {}: nothing to train", f, step);
            return Math.min(step, s.epochs());
        }

        private void resume(int epoch, int steps) throws IOException {
            Checkpoint.Info info = Checkpoint.load(checkpointFile(), model, optimizer, streams);
            if (info.step() != epoch) {
                throw new IOException("worker " + rank + " found the checkpoint at epoch " + info.step() + ", worker 0 at epoch " + epoch
                        + " (written while the workers started?)");
            }
            if (schedule != null) schedule.setSteps((long) epoch * steps);
            if (rank == 0) LOG.info("resuming from {} after epoch {}", checkpointFile(), epoch);
        }

        private SparkTrainer.Epoch epoch(int e, int steps) throws IOException {
            long t0 = System.nanoTime(), globalStep = (long) (e - 1) * steps;
            model.train();
            computeNanos = exchange.waitNanos = exchange.unpackNanos = 0;
            double lossSum = 0;
            long seen = 0;
            int step = 0, logEvery = Math.max(1, steps / 10);
            double[] stepLosses = new double[steps];
            int[] stepRows = new int[steps];
            for (Iterator<WorkerData.Shard> it = data.epoch(); it.hasNext(); globalStep++) {
                WorkerData.Shard shard = it.next();
                if (globalStep == s.failStep() && rank == s.failWorker() && ctx.stageAttemptNumber() == 0) {
                    throw new IllegalStateException("fault injected: worker " + rank + " fails before step " + globalStep);
                }
                double loss = step(shard);
                stepLosses[step] = loss;
                stepRows[step] = shard.globalRows();
                lossSum += loss * shard.globalRows();
                seen += shard.globalRows();
                if (schedule != null) schedule.step();
                step++;
                if (rank == 0 && step % logEvery == 0 && step < steps) {
                    LOG.info("epoch {}/{}: {}/{} steps, loss {}", e, s.epochs(), step, steps, String.format("%.4f", lossSum / seen));
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9, trainLoss = lossSum / seen;
            // every worker's random streams, so that worker 0's checkpoint can restore them all. Over the ring, not
            // Spark's allGather or barrier(): those poll once a second, which would add a second to every epoch
            byte[][] all = ring.allGather(encode(streams).getBytes(StandardCharsets.UTF_8));
            double metric = Double.NaN;
            if (rank == 0) {
                if (s.evaluator() != null) metric = s.evaluator().evaluate(model, params.get(0).device());
                model.train();
                Path f = checkpointFile();
                if (f != null) {
                    Map<String, Rng> everyone = new LinkedHashMap<>();
                    for (byte[] line : all) everyone.putAll(decode(new String(line, StandardCharsets.UTF_8)));
                    Map<String, String> extra = new LinkedHashMap<>();
                    if (schedule != null) extra.put("schedule", Long.toString(schedule.steps()));
                    Checkpoint.save(f, model, optimizer, e, everyone, extra);
                }
                LOG.info("epoch {}/{} done: loss {}{}, {} s ({} s forward and backward, {} s waiting for the sums after backward, {} s copying "
                        + "the sums into the gradients), {} samples/s", e, s.epochs(), String.format("%.4f", trainLoss),
                        Double.isNaN(metric) ? "" : String.format(", metric %.4f", metric), String.format("%.1f", seconds),
                        String.format("%.2f", computeNanos / 1e9), String.format("%.2f", exchange.waitNanos / 1e9),
                        String.format("%.2f", exchange.unpackNanos / 1e9), String.format("%.0f", seen / seconds));
            }
            return new SparkTrainer.Epoch(e, trainLoss, metric, seconds, seen / seconds, Arrays.copyOf(stepLosses, step), Arrays.copyOf(stepRows, step));
        }

        /** Forward and backward on the shard, the sums of the gradients (the batch mean's) and the optimiser step; the batch's mean loss. */
        private double step(WorkerData.Shard shard) {
            long t0 = System.nanoTime();
            try (Scope scope = Scope.open()) {
                optimizer.zeroGrad();
                Tensor loss = s.loss().apply(model.forward(shard.x()), shard.y());
                if (loss == null || loss.numel() != 1) {
                    throw new IllegalArgumentException("the loss function must return a one-element tensor (a mean loss), got "
                            + (loss == null ? "null" : Arrays.toString(loss.shape())));
                }
                Tensor weighted = loss.reshape().mul(shard.weight());
                exchange.begin();
                weighted.backward();           // buckets are summed on the ring's thread as backward fills them
                computeNanos += System.nanoTime() - t0;
                double summed = exchange.finish(weighted.item());
                optimizer.step();
                exchange.release();
                return summed;
            }
        }

        @Override
        public void close() throws IOException {
            if (exchange != null) exchange.close();
            if (shared != null) shared.close();
            if (ring != null) ring.close();
            server.close();
            if (optimizer != null) optimizer.close();
            if (model != null) model.close();
            if (data != null) data.close();
        }
    }

    /** A worker's random streams as one line: name=seed:counter, comma separated. */
    private static String encode(Map<String, Rng> streams) {
        StringBuilder b = new StringBuilder();
        streams.forEach((name, r) -> b.append(b.length() == 0 ? "" : ",").append(name).append('=').append(r.seed()).append(':').append(r.counter()));
        return b.toString();
    }

    private static Map<String, Rng> decode(String line) {
        Map<String, Rng> out = new LinkedHashMap<>();
        if (line.isEmpty()) return out;
        for (String item : line.split(",")) {
            int eq = item.indexOf('='), colon = item.indexOf(':', eq);
            out.put(item.substring(0, eq), new Rng(Long.parseLong(item.substring(eq + 1, colon)), Long.parseLong(item.substring(colon + 1))));
        }
        return out;
    }
}
