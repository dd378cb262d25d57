package org.tessera.parallel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;
import org.tessera.graph.HookHandle;
import org.tessera.nn.Module;
import org.tessera.optim.Optimizer;

/**
 * Trains one model on several devices of this machine, as PyTorch's {@code DistributedDataParallel} does with one
 * process per device: a replica of the model per device, each started from replica 0's parameters, each step's batch
 * cut into one contiguous shard per replica, forward and backward on each replica's own thread, the gradients summed
 * across replicas, then the same optimiser step on every replica (so the replicas stay equal).
 *
 * <p>With N replicas and a batch of B rows, a step computes what one device computes with the same B rows: replica r's
 * mean loss over its b_r rows is weighted by b_r / B before backward, so the summed gradient is the gradient of the
 * batch's mean loss, whatever the shard sizes. Gradients are summed in {@link GradientBuckets}: one flat buffer per
 * bucket of about {@link #DEFAULT_BUCKET_BYTES}, reduced as soon as every replica's backward has produced it (a
 * {@link Tensor#registerPostAccumulateGradHook hook} per parameter), so the sums of the last layers overlap the
 * backward of the first. The sum runs in a fixed order (replica 0 + replica 1 + ...) on replica 0's device, whichever
 * thread runs it, so training is deterministic. Each replica then gets the sum as its parameters' gradients and steps
 * its own optimiser with replica 0's learning rate. Replicas that share one device (cpu:1,cpu:1) share one copy of the
 * parameters instead ({@link Module#tieParameters}: modules must look their parameters up, as {@link Module#to}
 * requires), sum gradients in place with no flat buffer, and split replica 0's optimiser step by parameter.
 *
 * <p>Devices may repeat for the CPU ({@code cpu:1,cpu:1}: two replicas, each computing on its own thread) and may
 * mix backends ({@code cpu:1,opencl:0}). A parameter that no replica's backward reached keeps no gradient, as on one
 * device; one that some replicas reached and others did not gets the sum of those that did.
 *
 * <p>Not thread-safe: one thread calls {@link #step}. The instance owns the replicas and optimisers its factories
 * made, and closes them in {@link #close()}.
 */
public final class DataParallel<M extends Module> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataParallel.class);

    /**
     * Bytes per gradient bucket: big enough that each sum is one efficient pass, small enough that an MLP's last
     * layers are summed while the first ones are still in backward. (PyTorch's DDP uses 25 MiB for GPUs over a
     * network; on one machine the sum is a memory pass, so smaller buckets cost nothing.)
     */
    public static final long DEFAULT_BUCKET_BYTES = 4L << 20;

    /**
     * The random stream of replica (or Spark worker) {@code r} in a run seeded with {@code seed}: its own dropout masks,
     * from seed + 2 + 1000 r, saved in checkpoints as "dropout" (replica 0) or "dropout.R". One rule for
     * {@code tessera train --devices} and SparkTrainer, so N replicas in process and N Spark workers draw the same masks.
     */
    public static Rng replicaStream(long seed, int r) {
        return new Rng(seed + 2 + 1000L * r);
    }

    /** Where replica r's contiguous shard of a batch of {@code rows} starts (its end: r + 1's start): floor(rows r / n). */
    public static int shardStart(long rows, int r, int n) {
        return (int) (rows * r / n);
    }

    /** The checkpoint name of {@link #replicaStream}. */
    public static String replicaStreamName(int r) {
        return r == 0 ? "dropout" : "dropout." + r;
    }

    /** Makes replica {@code replica}'s model on {@code device}; its initial parameters are replaced by replica 0's. */
    @FunctionalInterface
    public interface ReplicaFactory<M extends Module> {
        M create(Device device, int replica);
    }

    private final List<Device> devices;
    private final List<M> models = new ArrayList<>();
    private final List<Optimizer> optimizers = new ArrayList<>();
    private final List<List<Tensor>> params = new ArrayList<>();
    private final GradientBuckets buckets;
    /**
     * Every replica on the same device (cpu:1,cpu:1): the replicas share one copy of the parameters
     * ({@link Module#tieParameters}) and replica 0's optimiser, whose step they split ({@link #owner}); gradients are
     * summed where they are, with no flat buffer.
     */
    private final boolean oneDevice;
    /** With {@link #oneDevice}: the replica whose thread steps each parameter (whole tensors, balanced by size). */
    private final int[] owner;
    private final List<HookHandle> hooks = new ArrayList<>();
    /** Replica r >= 1 always runs on thread r - 1 (its thread-local kernel scratch stays warm); replica 0 on the caller. */
    private final List<ExecutorService> threads = new ArrayList<>();
    /** The step in flight, read by the gradient hooks on the replicas' threads; null outside {@link #step}. */
    private volatile Step current;
    private boolean closed;

    /** Replicas of {@code model} on {@code devices}, each with the optimiser {@code optimizer} makes for its parameters. */
    public DataParallel(List<Device> devices, ReplicaFactory<M> model, Function<List<Tensor>, Optimizer> optimizer) {
        this(devices, model, optimizer, DEFAULT_BUCKET_BYTES);
    }

    public DataParallel(List<Device> devices, ReplicaFactory<M> model, Function<List<Tensor>, Optimizer> optimizer, long bucketBytes) {
        this.devices = checkDevices(devices);
        this.oneDevice = this.devices.stream().distinct().count() == 1;
        if (model == null || optimizer == null) throw new IllegalArgumentException("DataParallel needs a model factory and an optimiser factory");
        if (bucketBytes < 1) throw new IllegalArgumentException("bucket size must be positive, got " + bucketBytes + " bytes");
        try {
            for (int r = 0; r < this.devices.size(); r++) {
                M m = model.create(this.devices.get(r), r);
                if (m == null) throw new IllegalArgumentException("the model factory returned null for replica " + r);
                models.add(m);
                params.add(m.parameters());
                checkReplica(r);
                if (oneDevice && r > 0) {
                    m.tieParameters(models.get(0));
                    params.set(r, m.parameters());
                    continue;
                }
                Optimizer opt = optimizer.apply(params.get(r));
                optimizers.add(opt);
                checkOptimizer(r, opt);
            }
            buckets = new GradientBuckets(params.get(0), bucketBytes);
            owner = oneDevice ? balance(params.get(0), this.devices.size()) : null;
            syncReplicas();
            for (int r = 0; r < this.devices.size(); r++) {
                final int replica = r;
                List<Tensor> ps = params.get(r);
                for (int i = 0; i < ps.size(); i++) {
                    final int index = i;
                    hooks.add(ps.get(i).registerPostAccumulateGradHook(t -> {
                        Step s = current;
                        if (s != null) s.gradientReady(replica, index);
                    }));
                }
                if (r > 0) {
                    String name = "tessera-replica-" + r;
                    threads.add(Executors.newSingleThreadExecutor(job -> {
                        Thread t = new Thread(job, name);
                        t.setDaemon(true);
                        return t;
                    }));
                }
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
        LOG.debug("data parallel over {}: {} parameters in {} gradient buckets", this.devices, params.get(0).size(), buckets.size());
    }

    /** Each parameter's replica: largest first, each to the replica with the fewest elements so far. */
    private static int[] balance(List<Tensor> ps, int replicas) {
        Integer[] bySize = new Integer[ps.size()];
        for (int i = 0; i < bySize.length; i++) bySize[i] = i;
        Arrays.sort(bySize, (a, b) -> Long.compare(ps.get(b).numel(), ps.get(a).numel()));
        long[] load = new long[replicas];
        int[] owner = new int[ps.size()];
        for (int i : bySize) {
            int least = 0;
            for (int r = 1; r < replicas; r++) if (load[r] < load[least]) least = r;
            owner[i] = least;
            load[least] += ps.get(i).numel();
        }
        return owner;
    }

    private static List<Device> checkDevices(List<Device> devices) {
        if (devices == null || devices.isEmpty()) throw new IllegalArgumentException("DataParallel needs at least one device");
        Set<Device> seen = new HashSet<>();
        for (int r = 0; r < devices.size(); r++) {
            Device d = devices.get(r);
            if (d == null) throw new IllegalArgumentException("device " + r + " of " + devices + " is null");
            if (!seen.add(d) && !d.backend().equals("cpu")) {
                throw new IllegalArgumentException("device " + d + " is listed twice in " + devices + ": replicas on one accelerator share its "
                        + "queue and gain nothing; list each OpenCL device once (replicas of a CPU device, as in cpu:1,cpu:1, each get their own thread)");
            }
        }
        return List.copyOf(devices);
    }

    /** Replica r's parameters: on its device, and the same names, shapes and dtypes as replica 0's. */
    private void checkReplica(int r) {
        Device d = devices.get(r);
        Map<String, Tensor> mine = models.get(r).namedParameters();
        if (mine.isEmpty()) throw new IllegalArgumentException("replica " + r + "'s model has no parameters to train");
        for (var e : mine.entrySet()) {
            if (e.getValue().device() != d) {
                throw new IllegalArgumentException("replica " + r + "'s parameter '" + e.getKey() + "' is on " + e.getValue().device()
                        + ", the replica's device is " + d + ": the factory must build each replica on the device it is given");
            }
        }
        if (r == 0) return;
        Map<String, Tensor> first = models.get(0).namedParameters();
        if (!first.keySet().equals(mine.keySet())) {
            throw new IllegalArgumentException("replica " + r + " has parameters " + mine.keySet() + ", replica 0 has " + first.keySet()
                    + ": every replica must be the same model");
        }
        for (var e : first.entrySet()) {
            Tensor a = e.getValue(), b = mine.get(e.getKey());
            if (!Arrays.equals(a.shape(), b.shape()) || a.dtype() != b.dtype()) {
                throw new IllegalArgumentException("replica " + r + "'s parameter '" + e.getKey() + "' is " + Arrays.toString(b.shape()) + " " + b.dtype()
                        + ", replica 0's is " + Arrays.toString(a.shape()) + " " + a.dtype() + ": every replica must be the same model");
            }
        }
    }

    private void checkOptimizer(int r, Optimizer opt) {
        if (opt == null) throw new IllegalArgumentException("the optimiser factory returned null for replica " + r);
        List<Tensor> mine = params.get(r), its = opt.parameters();
        boolean same = mine.size() == its.size();
        for (int i = 0; same && i < mine.size(); i++) same = mine.get(i) == its.get(i);
        if (!same) {
            throw new IllegalArgumentException("replica " + r + "'s optimiser updates " + its.size() + " tensors that are not the model's " + mine.size()
                    + " parameters in order: the optimiser factory must use the parameter list it is given");
        }
    }

    /** How many replicas. */
    public int replicas() {
        return devices.size();
    }

    public List<Device> devices() {
        return devices;
    }

    /** Replica 0's model: evaluate, save or inspect it (after a step every replica holds the same parameters). */
    public M model() {
        return model(0);
    }

    public M model(int replica) {
        return models.get(replica);
    }

    /**
     * Replica 0's optimiser. Its learning rate is every replica's (a schedule made on it drives all of them), and its
     * state is what a checkpoint saves; after loading a checkpoint into it and {@link #model()}, call {@link #syncReplicas()}.
     */
    public Optimizer optimizer() {
        return optimizers.get(0);
    }

    /**
     * Copies replica 0's parameters, optimiser state, step counts and learning rate to every other replica (nothing to
     * do where the replicas share one device, and so one copy of the parameters and one optimiser).
     */
    public void syncReplicas() {
        checkOpen();
        if (oneDevice) return;
        Optimizer first = optimizers.get(0);
        long[] steps = new long[params.get(0).size()];
        for (int i = 0; i < steps.length; i++) steps[i] = first.steps(i);
        try (var off = Autograd.noGrad(); Scope s = Scope.open()) {
            Map<String, Tensor> state = models.get(0).stateDict();
            Map<String, Tensor> optState = new LinkedHashMap<>(first.stateTensors());
            for (int r = 1; r < models.size(); r++) {
                models.get(r).loadStateDict(state);
                optimizers.get(r).loadState(optState, steps);
                optimizers.get(r).setLr(first.lr());
            }
            state.values().forEach(Tensor::close);
        }
    }

    /**
     * One training step on a batch: {@code x} and {@code target} (same number of rows, at least one per replica, on
     * any device) are cut into contiguous shards, {@code loss} maps a replica's output and target shard to its mean
     * loss (a one-element tensor), and every replica's optimiser steps with the summed gradients. Returns the batch's
     * mean loss (a detached one-element tensor on replica 0's device; reading it waits for the step). If a replica
     * fails, no optimiser steps and the first failure is thrown.
     */
    public Tensor step(Tensor x, Tensor target, BiFunction<Tensor, Tensor, Tensor> loss) {
        checkOpen();
        if (x == null || target == null || loss == null) throw new IllegalArgumentException("step needs inputs, targets and a loss function");
        if (x.isClosed() || target.isClosed()) throw new IllegalArgumentException("step: the inputs or the targets are closed");
        if (x.dim() == 0 || target.dim() == 0 || x.shape(0) != target.shape(0)) {
            throw new IllegalArgumentException("step: inputs " + Arrays.toString(x.shape()) + " and targets " + Arrays.toString(target.shape())
                    + " must have the same number of rows (dimension 0)");
        }
        int rows = x.shape(0), n = devices.size();
        if (rows < n) {
            throw new IllegalArgumentException("step: a batch of " + rows + " rows cannot be split over " + n + " replicas (" + devices
                    + "): each needs at least one row");
        }
        for (int r = 1; r < optimizers.size(); r++) optimizers.get(r).setLr(optimizers.get(0).lr());   // a schedule drives replica 0's
        Step s = new Step(rows);
        current = s;
        List<Future<?>> others = new ArrayList<>();
        try {
            for (int r = 1; r < n; r++) {
                final int replica = r;
                others.add(threads.get(r - 1).submit(() -> s.run(replica, x, target, loss)));
            }
            s.run(0, x, target, loss);
            for (Future<?> f : others) waitFor(f, s);
        } finally {
            current = null;
        }
        Throwable failed = s.failure.get();
        if (failed != null) {
            s.closeLosses();
            if (failed instanceof RuntimeException e) throw e;
            if (failed instanceof Error e) throw e;
            throw new IllegalStateException("data-parallel step failed", failed);
        }
        try (var off = Autograd.noGrad()) {
            Tensor total = null;   // made on this thread, so it belongs to the caller's scope
            for (int r = 0; r < n; r++) {
                Tensor l = s.losses[r].to(devices.get(0));
                total = total == null ? l.detach() : total.add(l);
                if (l != s.losses[r]) l.close();
            }
            s.closeLosses();
            return total;
        }
    }

    private void waitFor(Future<?> f, Step s) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.abort(e);
        } catch (ExecutionException e) {
            s.abort(e.getCause());
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("this DataParallel is closed");
    }

    /** Stops the replica threads and closes every replica's optimiser state and parameters. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        hooks.forEach(HookHandle::remove);
        threads.forEach(ExecutorService::shutdown);
        optimizers.forEach(Optimizer::close);
        models.forEach(Module::close);
    }

    /**
     * One step's exchange. Per replica and bucket, the parameters whose gradients are still to come; when the last one
     * arrives the replica's gradients are copied into one flat buffer (that replica's thread), and the thread whose
     * buffer completes a bucket across replicas sums it and makes every replica's gradient views of the sum.
     */
    private final class Step {
        final int rows;
        final int[][] pending;          // [replica][bucket] gradients not yet produced
        final Tensor[][] taken;         // [replica][parameter] the gradient its backward produced, or null
        final Tensor[][] flat;          // [replica][bucket]
        final AtomicInteger[] arrivals; // [bucket] replicas whose flat buffer is ready
        final CountDownLatch reduced;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Tensor[] losses;

        Step(int rows) {
            int n = devices.size(), nb = buckets.size(), np = params.get(0).size();
            this.rows = rows;
            pending = new int[n][nb];
            for (int r = 0; r < n; r++) for (int b = 0; b < nb; b++) pending[r][b] = buckets.get(b).params().length;
            taken = new Tensor[n][np];
            flat = new Tensor[n][nb];
            arrivals = new AtomicInteger[nb];
            for (int b = 0; b < nb; b++) arrivals[b] = new AtomicInteger();
            reduced = new CountDownLatch(nb);
            losses = new Tensor[n];
        }

        /** Replica r's part of the step, on its own thread. Failures are recorded, never thrown. */
        void run(int r, Tensor x, Tensor target, BiFunction<Tensor, Tensor, Tensor> lossFn) {
            try (Scope scope = Scope.open()) {
                Device d = devices.get(r);
                int n = devices.size(), from = shardStart(rows, r, n), to = shardStart(rows, r + 1, n);
                for (Tensor p : params.get(r)) p.zeroGrad();
                Tensor xs = x.narrow(0, from, to - from).to(d), ts = target.narrow(0, from, to - from).to(d);
                Tensor loss = lossFn.apply(models.get(r).forward(xs), ts);
                if (loss == null || loss.numel() != 1) {
                    throw new IllegalArgumentException("the loss function must return a one-element tensor (a mean loss), got "
                            + (loss == null ? "null" : Arrays.toString(loss.shape())));
                }
                // the shard's mean weighted by its share of the batch: the summed gradients are those of the batch's mean
                Tensor weighted = loss.reshape().mul((to - from) / (double) rows);
                weighted.backward();
                finishBackward(r);
                reduced.await();
                if (failure.get() != null) return;
                if (oneDevice) optimizers.get(0).step(i -> owner[i] == r);   // one shared optimiser, split by parameter
                else optimizers.get(r).step();
                losses[r] = Scope.untrack(weighted.detach());
            } catch (Throwable t) {
                abort(t);
            }
        }

        /** The hook: parameter i of replica r has its gradient. */
        void gradientReady(int r, int i) {
            taken[r][i] = params.get(r).get(i).grad();
            int b = buckets.bucketOf[i];
            if (--pending[r][b] == 0) fill(r, b);
        }

        /** Buckets with parameters this replica's backward did not reach (zeros in their place) are sent now. */
        void finishBackward(int r) {
            for (int b = 0; b < buckets.size(); b++) if (pending[r][b] > 0) fill(r, b);
        }

        /**
         * Replica r's gradients of bucket b are all there: into one flat buffer on its device (what crosses between
         * devices is one transfer per bucket), then its arrival. Replicas on one device skip the buffer: nothing moves.
         */
        private void fill(int r, int b) {
            pending[r][b] = 0;
            if (failure.get() != null) return;
            if (oneDevice) {
                if (arrivals[b].incrementAndGet() == devices.size()) reduceInPlace(b);
                return;
            }
            GradientBuckets.Bucket bucket = buckets.get(b);
            List<Tensor> ps = params.get(r);
            try (var off = Autograd.noGrad()) {
                List<Tensor> pieces = new ArrayList<>();
                for (int p : bucket.params()) {
                    Tensor g = taken[r][p];
                    pieces.add(g != null ? g.reshape((int) g.numel())
                            : Tensor.zeros(devices.get(r), bucket.dtype(), (int) ps.get(p).numel()));
                }
                Tensor f = pieces.size() == 1 ? pieces.get(0) : Tensor.cat(pieces, 0);
                if (pieces.size() > 1) pieces.forEach(Tensor::close);
                for (int p : bucket.params()) {
                    if (taken[r][p] == null) continue;
                    ps.get(p).zeroGrad();     // the gradient now lives in the flat buffer
                    if (taken[r][p] != f) taken[r][p].close();   // (a 1-D gradient alone in its bucket is the buffer)
                }
                flat[r][b] = Scope.untrack(f);
            }
            if (arrivals[b].incrementAndGet() == devices.size()) reduce(b);
        }

        /**
         * Sums bucket b over the replicas in replica order on replica 0's device, then makes each replica's gradients
         * views of the sum on its device. Runs on the thread whose buffer arrived last.
         */
        private void reduce(int b) {
            try (var off = Autograd.noGrad()) {
                if (failure.get() != null) return;
                GradientBuckets.Bucket bucket = buckets.get(b);
                Device first = devices.get(0);
                Tensor sum = flat[0][b];
                for (int q = 1; q < devices.size(); q++) {
                    Tensor other = flat[q][b].to(first);
                    sum.addi(other);
                    if (other != flat[q][b]) other.close();
                }
                int[] ps = bucket.params();
                for (int r = 0; r < devices.size(); r++) {
                    Tensor mine = devices.get(r) == first ? sum : sum.to(devices.get(r));
                    for (int s = 0; s < ps.length; s++) {
                        int i = ps[s];
                        if (!reachedAnywhere(i)) continue;
                        Tensor p = params.get(r).get(i);
                        p.setGrad(mine.narrow(0, bucket.offsets()[s], (int) p.numel()).view(p.shape()));
                    }
                    if (mine != sum) mine.close();
                }
                for (int q = 0; q < devices.size(); q++) flat[q][b].close();   // the views hold the sum's storage
            } catch (Throwable t) {
                abort(t);
            } finally {
                reduced.countDown();
            }
        }

        /**
         * Bucket b when every replica is on one device: each gradient is summed in place into the first replica's that
         * has one, in replica order, and every replica gets its own handle on the sum (a memory pass of 2 reads and a
         * write per element; a flat buffer would add a copy in and gain nothing).
         */
        private void reduceInPlace(int b) {
            try (var off = Autograd.noGrad()) {
                if (failure.get() != null) return;
                for (int i : buckets.get(b).params()) {
                    Tensor sum = null;
                    for (Tensor[] replica : taken) {
                        Tensor g = replica[i];
                        if (g == null) continue;
                        if (sum == null) sum = g;
                        else sum.addi(g);
                    }
                    if (sum == null) continue;
                    // every replica's parameter gets its own handle on the sum; then the handles backward produced go
                    for (int r = 0; r < devices.size(); r++) params.get(r).get(i).setGrad(sum.detach());
                    for (Tensor[] replica : taken) if (replica[i] != null) replica[i].close();
                }
            } catch (Throwable t) {
                abort(t);
            } finally {
                reduced.countDown();
            }
        }

        private boolean reachedAnywhere(int i) {
            for (Tensor[] t : taken) if (t[i] != null) return true;
            return false;
        }

        /** Records the first failure and releases every replica waiting for a sum. */
        void abort(Throwable t) {
            if (!failure.compareAndSet(null, t) && failure.get() != t) failure.get().addSuppressed(t);
            while (reduced.getCount() > 0) reduced.countDown();
        }

        void closeLosses() {
            for (Tensor t : losses) if (t != null) t.close();
        }
    }
}
