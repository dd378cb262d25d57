package org.tessera.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.Autocast;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;
import org.tessera.data.Batch;
import org.tessera.data.DataLoader;
import org.tessera.data.FashionMnist;
import org.tessera.io.Checkpoint;
import org.tessera.nn.Dropout;
import org.tessera.nn.ELU;
import org.tessera.nn.LeakyReLU;
import org.tessera.nn.Linear;
import org.tessera.nn.Module;
import org.tessera.nn.ReLU;
import org.tessera.nn.Sequential;
import org.tessera.nn.Sigmoid;
import org.tessera.nn.Tanh;
import org.tessera.optim.Adam;
import org.tessera.optim.AdamW;
import org.tessera.optim.CosineLR;
import org.tessera.optim.InverseSqrtLR;
import org.tessera.optim.LRSchedule;
import org.tessera.optim.LossScaler;
import org.tessera.optim.LinearLR;
import org.tessera.optim.Optimizer;
import org.tessera.optim.RMSProp;
import org.tessera.optim.SGD;
import org.tessera.optim.StepLR;
import org.tessera.parallel.DataParallel;

/**
 * Trains an MLP classifier on Fashion-MNIST (images standardised with the training set's statistics): the engine
 * behind {@code tessera train}, usable from tests. Cross-entropy loss; evaluation on the test set after every
 * epoch; optional checkpoint save/resume. Reports progress through a {@link Listener}.
 */
public final class MlpTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(MlpTrainer.class);

    // The defaults of `tessera train` (its options and tests read them from here).
    static final String DEFAULT_DATA = "/usr/share/datasets/fashion-mnist";
    static final String DEFAULT_HIDDEN = "512,256";
    static final String DEFAULT_ACTIVATION = "relu";
    static final String DEFAULT_DROPOUT = "0.2";
    static final String DEFAULT_OPTIMIZER = "adam";
    static final String DEFAULT_LR = "1e-3";
    static final String DEFAULT_SCHEDULE = "cosine";
    static final String DEFAULT_EPOCHS = "10";
    static final String DEFAULT_BATCH = "128";
    static final String DEFAULT_SEED = "0";

    /**
     * What to train and how. {@code devices}: one device, or several for data-parallel training (a replica on each,
     * the batch split between them; {@code cpu:1,cpu:1} is two replicas of one thread each). The data lives on the first.
     */
    public record Config(List<Device> devices, Path data, int[] hidden, String activation, double dropout, String optimizer, double lr,
                         String schedule, int epochs, int batch, long seed, Path save, Path resume, DType precision) {
        /** F32 training (no autocast). */
        public Config(List<Device> devices, Path data, int[] hidden, String activation, double dropout, String optimizer, double lr,
                      String schedule, int epochs, int batch, long seed, Path save, Path resume) {
            this(devices, data, hidden, activation, dropout, optimizer, lr, schedule, epochs, batch, seed, save, resume, DType.F32);
        }

        public Config {
            if (precision != DType.F32 && precision != DType.BF16 && precision != DType.F16) {
                throw new IllegalArgumentException("precision must be F32, BF16 or F16, got " + precision);
            }
            if (devices == null || devices.isEmpty()) throw new IllegalArgumentException("training needs at least one device");
            devices = List.copyOf(devices);
            if (epochs < 1) throw new IllegalArgumentException("epochs must be positive, got " + epochs);
            if (batch < 1) throw new IllegalArgumentException("batch size must be positive, got " + batch);
            if (batch < devices.size()) {
                throw new IllegalArgumentException("a batch of " + batch + " cannot be split over " + devices.size() + " devices " + devices
                        + ": each replica needs at least one example");
            }
            for (int h : hidden) if (h < 1) throw new IllegalArgumentException("hidden layer sizes must be positive, got " + h);
            if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must lie in [0, 1), got " + dropout);
            MlpTrainer.activation(activation);   // fail early on unknown names
            if (precision != DType.F32 && devices.size() > 1) {
                throw new IllegalArgumentException("precision " + precision + " trains on one device; data-parallel training over " + devices
                        + " runs in F32 only (its replicas' threads do not share an Autocast region)");
            }
        }

        /** The first device: where the data lives and the only one without data parallelism. */
        public Device device() {
            return devices.get(0);
        }

        /** This configuration with another batch size. */
        public Config withBatch(int batch) {
            return new Config(devices, data, hidden, activation, dropout, optimizer, lr, schedule, epochs, batch, seed, save, resume, precision);
        }

        /** Whether this run trains replicas on several devices. */
        public boolean dataParallel() {
            return devices.size() > 1;
        }
    }

    /** The defaults of {@code tessera train}, on {@code device}, for {@code epochs} epochs. */
    public static Config defaults(Device device, int epochs) {
        return new Config(List.of(device), Path.of(DEFAULT_DATA), defaultHidden(), DEFAULT_ACTIVATION, Double.parseDouble(DEFAULT_DROPOUT), DEFAULT_OPTIMIZER,
                Double.parseDouble(DEFAULT_LR), DEFAULT_SCHEDULE, epochs, Integer.parseInt(DEFAULT_BATCH), Long.parseLong(DEFAULT_SEED), null, null);
    }

    private static int[] defaultHidden() {
        return java.util.Arrays.stream(DEFAULT_HIDDEN.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /** Layer widths of the default model, input (784 pixels) first and the 10 classes last. */
    static int[] defaultLayerSizes() {
        int[] hidden = defaultHidden();
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = 784;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[hidden.length + 1] = 10;
        return sizes;
    }

    /** One epoch's outcome. */
    public record Epoch(int epoch, double trainLoss, double testAccuracy, double seconds, double samplesPerSecond) {}

    /** Batches between reads of the running loss: each read waits for the device's queue to drain. */
    public static final int LOSS_READ_EVERY = 20;

    /** Progress callbacks (the command shows a progress bar; tests ignore them). */
    public interface Listener {
        default void epochStarted(int epoch, int batches) {}

        default void batchDone(int samples) {}

        /** The epoch's mean training loss so far, every {@link #LOSS_READ_EVERY} batches. */
        default void lossSoFar(double meanLoss) {}

        default void epochDone(Epoch e) {}

        /** This listener, then {@code next}, told of every event. */
        default Listener and(Listener next) {
            Listener first = this;
            return new Listener() {
                @Override public void epochStarted(int epoch, int batches) { first.epochStarted(epoch, batches); next.epochStarted(epoch, batches); }
                @Override public void batchDone(int samples) { first.batchDone(samples); next.batchDone(samples); }
                @Override public void lossSoFar(double meanLoss) { first.lossSoFar(meanLoss); next.lossSoFar(meanLoss); }
                @Override public void epochDone(Epoch e) { first.epochDone(e); next.epochDone(e); }
            };
        }
    }

    public static List<Epoch> train(Config c, Listener listener) throws IOException {
        FashionMnist data = FashionMnist.load(c.data(), c.device()).standardized();
        int last = data.trainImages().shape(0) % c.batch();
        if (last != 0 && last < c.devices().size()) {      // refused now, not at the end of the first epoch
            throw new IllegalArgumentException("the last batch of each epoch would have " + last + " examples for " + c.devices().size()
                    + " devices; choose another batch size");
        }
        Rng shuffle = new Rng(c.seed() + 1);
        Map<String, Rng> rngs = new LinkedHashMap<>();
        rngs.put("shuffle", shuffle);
        try (Trainee t = Trainee.of(c, rngs)) {
            Sequential model = t.model();
            Optimizer opt = t.optimizer();
            LOG.debug("model {} on {}", describe(c), c.devices().stream().map(Device::description).toList());
            DataLoader loader = new DataLoader(data.trainImages(), data.trainLabels(), c.batch(), true, shuffle);
            LRSchedule schedule = schedule(c.schedule(), opt, (long) c.epochs() * loader.batches());
            int start = 0;
            if (c.resume() != null) {
                Checkpoint.Info info = Checkpoint.load(c.resume(), model, opt, rngs);
                if (t.replicas != null) t.replicas.syncReplicas();
                start = (int) info.step();
                if (schedule != null) schedule.setSteps(Long.parseLong(info.extra().getOrDefault("schedule", "0")));
                LOG.info("resumed from {} after epoch {}", c.resume(), start);
            }
            List<Epoch> epochs = new ArrayList<>();
            for (int e = start + 1; e <= c.epochs(); e++) {
                long t0 = System.nanoTime();
                listener.epochStarted(e, loader.batches());
                model.train();
                int seen = 0, batches = 0;
                double trainLoss;
                // the summed loss stays on the device (a loss.item() per step drained the queue every step); F32 as
                // the model (a device may lack fp64): 469 batch sums of ~40 lose under 1e-5 of the mean
                try (Tensor lossSum = Tensor.zeros(c.device(), DType.F32)) {
                    for (Batch b : loader) {
                        try (Scope s = Scope.open()) {
                            Tensor loss = t.step(b);
                            if (schedule != null) schedule.step();
                            try (var off = Autograd.noGrad()) {
                                lossSum.addi(loss.mul(b.size()));
                            }
                            seen += b.size();
                            listener.batchDone(b.size());
                            if (++batches % LOSS_READ_EVERY == 0) listener.lossSoFar(lossSum.item() / seen);
                        }
                    }
                    trainLoss = lossSum.item() / seen;
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                double testAccuracy;
                try (Autocast.Region r = t.autocast()) {       // evaluated in the precision it trains in
                    testAccuracy = accuracy(model, data.testImages(), data.testLabels());
                }
                Epoch result = new Epoch(e, trainLoss, testAccuracy, seconds, seen / seconds);
                epochs.add(result);
                listener.epochDone(result);
                if (c.save() != null) {
                    Map<String, String> extra = new LinkedHashMap<>();
                    if (schedule != null) extra.put("schedule", Long.toString(schedule.steps()));
                    Checkpoint.save(c.save(), model, opt, e, rngs, extra);
                }
            }
            return epochs;
        }
    }

    /**
     * The model and optimiser being trained: on one device, or replicas under {@link DataParallel} (then the model and
     * optimiser are replica 0's, which evaluation, schedules and checkpoints use). Adds the dropout streams to
     * {@code rngs}: "dropout" for replica 0, "dropout.R" for replica R (each replica drops its own examples).
     */
    private record Trainee(Sequential model, Optimizer optimizer, DataParallel<Sequential> replicas, DType precision, LossScaler scaler)
            implements AutoCloseable {
        static final java.util.function.BiFunction<Tensor, Tensor, Tensor> LOSS = (out, y) -> out.crossEntropy(y).mean();

        static Trainee of(Config c, Map<String, Rng> rngs) {
            List<Rng> drops = new ArrayList<>();
            for (int r = 0; r < c.devices().size(); r++) {
                Rng drop = DataParallel.replicaStream(c.seed(), r);
                drops.add(drop);
                rngs.put(DataParallel.replicaStreamName(r), drop);
            }
            if (!c.dataParallel()) {
                Sequential m = mlp(784, c.hidden(), 10, c.activation(), c.dropout(), new Rng(c.seed()), drops.get(0), c.device());
                // F32 master weights; products and activations in the 16-bit type; F16 gradients need a scaled loss
                return new Trainee(m, MlpTrainer.optimizer(c.optimizer(), m.parameters(), c.lr()), null, c.precision(),
                        c.precision() == DType.F16 ? new LossScaler() : null);
            }
            DataParallel<Sequential> dp = new DataParallel<>(c.devices(),
                    (d, r) -> mlp(784, c.hidden(), 10, c.activation(), c.dropout(), new Rng(c.seed()), drops.get(r), d),
                    ps -> MlpTrainer.optimizer(c.optimizer(), ps, c.lr()));
            return new Trainee(dp.model(), dp.optimizer(), dp, DType.F32, null);
        }

        /** One optimiser step on a batch; returns its mean loss. */
        Tensor step(Batch b) {
            if (replicas != null) return replicas.step(b.x(), b.y(), LOSS);
            optimizer.zeroGrad();
            Tensor loss;
            try (Autocast.Region r = autocast()) {
                loss = LOSS.apply(model.forward(b.x()), b.y());
            }
            if (scaler == null) {
                loss.backward();
                optimizer.step();
            } else {
                scaler.scale(loss).backward();
                scaler.step(optimizer);
                scaler.update();
            }
            return loss;
        }

        /** The Autocast region of the training precision, or null (no region) for F32. */
        Autocast.Region autocast() {
            return precision == DType.F32 ? null : Autocast.enable(precision);
        }

        @Override
        public void close() {
            if (replicas != null) {
                replicas.close();
                return;
            }
            optimizer.close();
            model.close();
        }
    }

    public static String describe(Config c) {
        StringBuilder s = new StringBuilder("784");
        for (int h : c.hidden()) s.append('-').append(h);
        return s.append("-10 ").append(c.activation()).append(c.dropout() > 0 ? " dropout " + c.dropout() : "").append(", ")
                .append(c.optimizer()).append(" lr ").append(c.lr()).append(c.schedule().equals("none") ? "" : " " + c.schedule())
                .append(", batch ").append(c.batch()).append(", seed ").append(c.seed())
                .append(c.precision() == DType.F32 ? "" : ", " + c.precision() + " autocast" + (c.precision() == DType.F16 ? ", loss scaling" : ""))
                .toString();
    }

    /** Linear layers of the given widths with the activation (and dropout) between them, none after the last. */
    public static Sequential mlp(int in, int[] hidden, int out, String activation, double dropout, Rng init, Rng drop, Device d) {
        Sequential m = new Sequential();
        int width = in;
        for (int h : hidden) {
            m.add(new Linear(width, h, true, init, d, DType.F32));
            m.add(activation(activation).get());
            if (dropout > 0) m.add(new Dropout(dropout, drop));
            width = h;
        }
        return m.add(new Linear(width, out, true, init, d, DType.F32));
    }

    /** A maker of the named activation module (one per layer); throws for an unknown name. */
    public static Supplier<Module> activation(String name) {
        return switch (name) {
            case "relu" -> ReLU::new;
            case "tanh" -> Tanh::new;
            case "sigmoid" -> Sigmoid::new;
            case "leaky_relu" -> () -> new LeakyReLU(0.01);
            case "elu" -> () -> new ELU(1.0);
            default -> throw new IllegalArgumentException("unknown activation '" + name + "' (relu, tanh, sigmoid, leaky_relu, elu)");
        };
    }

    public static Optimizer optimizer(String name, List<Tensor> params, double lr) {
        return switch (name) {
            case "sgd" -> new SGD(params, lr);
            case "momentum" -> new SGD(params, lr).momentum(0.9);                  // heavy ball, as torch.optim.SGD(momentum=0.9)
            case "nesterov" -> new SGD(params, lr).momentum(0.9).nesterov(true);
            case "adam" -> new Adam(params, lr);
            case "adamw" -> new AdamW(params, lr);
            case "rmsprop" -> new RMSProp(params, lr);
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "' (sgd, momentum, nesterov, adam, adamw, rmsprop)");
        };
    }

    /** The schedule over {@code totalSteps} optimiser steps, or null for a constant rate. */
    public static LRSchedule schedule(String name, Optimizer opt, long totalSteps) {
        return switch (name) {
            case "none" -> null;
            case "cosine" -> new CosineLR(opt, totalSteps);
            case "linear" -> new LinearLR(opt, totalSteps);
            case "step" -> new StepLR(opt, Math.max(1, totalSteps / 3), 0.1);
            case "inverse_sqrt" -> new InverseSqrtLR(opt, Math.max(1, totalSteps / 20));
            default -> throw new IllegalArgumentException("unknown schedule '" + name + "' (none, cosine, linear, step, inverse_sqrt)");
        };
    }

    /** The share of {@code x}'s rows whose highest logit is their label (evaluation mode, no graph). */
    public static double accuracy(Module model, Tensor x, Tensor labels) {
        model.eval();
        int correct = 0, n = x.shape(0);
        int[] truth = labels.toIntArray();
        try (var off = Autograd.noGrad()) {
            for (int from = 0; from < n; from += 1000) {
                int len = Math.min(1000, n - from);
                try (Scope s = Scope.open()) {
                    int[] predicted = model.forward(x.narrow(0, from, len)).argmax(1).toIntArray();
                    for (int i = 0; i < len; i++) if (predicted[i] == truth[from + i]) correct++;
                }
            }
        }
        model.train();
        return correct / (double) n;
    }
}
