package org.tessera.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.tessera.DType;
import org.tessera.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tessera train}: an MLP on Fashion-MNIST, with a progress bar per epoch, a summary and a chart. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train an MLP classifier on Fashion-MNIST on the best available device.")
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", defaultValue = "auto", description = "auto (an OpenCL GPU, else the CPU), cpu, cpu:N, opencl, opencl:N (default: ${DEFAULT-VALUE})")
    String device;
    @Option(names = "--devices", split = ",", description = "train data-parallel on these devices, a replica on each and the batch split between "
            + "them, e.g. cpu:1,cpu:1 (two replicas of one thread each) or opencl:0,opencl:1; replaces --device")
    List<String> devices;
    @Option(names = "--spark", arity = "0..1", fallbackValue = "", paramLabel = "MASTER",
            description = "train on Apache Spark, a worker task per slot of the master (local[2]: two on this machine; spark://host:7077); "
            + "with no value, the master spark-submit set. --device is then each worker's device (auto: a GPU, else the task's cores)")
    String spark;
    @Option(names = "--workers", defaultValue = "0", description = "with --spark: worker tasks (default: Spark's default parallelism)")
    int workers;
    @Option(names = "--checkpoints", description = "with --spark: a directory every executor reaches, for the checkpoint after each epoch "
            + "(default: a new temporary directory); one that holds a checkpoint resumes from it")
    Path checkpoints;
    @Option(names = "--data", defaultValue = MlpTrainer.DEFAULT_DATA, description = "directory with the four IDX files (default: ${DEFAULT-VALUE})")
    Path data;
    @Option(names = "--install-data", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "where the default data directory is missing, install Debian's dataset-fashion-mnist with apt-get (as root or with passwordless sudo; --no-install-data stops instead)")
    boolean installData;
    @Option(names = "--hidden", defaultValue = MlpTrainer.DEFAULT_HIDDEN, split = ",", description = "hidden layer widths (default: ${DEFAULT-VALUE})")
    int[] hidden;
    @Option(names = "--activation", defaultValue = MlpTrainer.DEFAULT_ACTIVATION, description = "relu, tanh, sigmoid, leaky_relu, elu (default: ${DEFAULT-VALUE})")
    String activation;
    @Option(names = "--dropout", defaultValue = MlpTrainer.DEFAULT_DROPOUT, description = "dropout after each hidden layer (default: ${DEFAULT-VALUE})")
    double dropout;
    @Option(names = "--optimizer", defaultValue = MlpTrainer.DEFAULT_OPTIMIZER, description = "sgd, momentum (0.9), nesterov (momentum 0.9), adam, adamw, rmsprop (default: ${DEFAULT-VALUE})")
    String optimizer;
    @Option(names = "--lr", defaultValue = MlpTrainer.DEFAULT_LR, description = "learning rate (default: ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--schedule", defaultValue = MlpTrainer.DEFAULT_SCHEDULE, description = "none, cosine, linear, step, inverse_sqrt over the whole run (default: ${DEFAULT-VALUE})")
    String schedule;
    @Option(names = "--epochs", defaultValue = MlpTrainer.DEFAULT_EPOCHS, description = "(default: ${DEFAULT-VALUE})")
    int epochs;
    @Option(names = "--batch", defaultValue = MlpTrainer.DEFAULT_BATCH, description = "(default: ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--seed", defaultValue = MlpTrainer.DEFAULT_SEED, description = "initialisation, shuffling and dropout (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--precision", defaultValue = "f32", converter = PrecisionConverter.class,
            description = "f32; bf16 or f16: products and activations in 16 bits (Autocast) with F32 master weights, f16 with loss scaling (default: ${DEFAULT-VALUE})")
    DType precision;

    /** f32, bf16 or f16 (any case) to its DType. */
    static final class PrecisionConverter implements picocli.CommandLine.ITypeConverter<DType> {
        @Override
        public DType convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "f32", "fp32", "float32" -> DType.F32;
                case "bf16", "bfloat16" -> DType.BF16;
                case "f16", "fp16", "float16", "half" -> DType.F16;
                default -> throw new picocli.CommandLine.TypeConversionException("precision must be f32, bf16 or f16, got '" + value + "'");
            };
        }
    }

    @Option(names = "--save", description = "write a checkpoint here after every epoch")
    Path save;
    @Option(names = "--resume", description = "continue from this checkpoint")
    Path resume;
    @Option(names = "--log", description = "write per-epoch results to this CSV file")
    Path log;
    @Option(names = "--chart", defaultValue = "tessera-train.png", description = "PNG chart of loss and accuracy per epoch (default: ${DEFAULT-VALUE})")
    Path chart;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        // only a missing dataset asks what this machine allows (forThisMachine may run sudo -n to find out)
        if (!Files.isDirectory(data)) DatasetInstaller.forThisMachine().ensure(data, installData, out);
        if (spark != null) return onSpark(out);
        List<Device> ds = devices == null ? List.of(DeviceOption.resolve(device)) : devices.stream().map(DeviceOption::resolve).toList();
        MlpTrainer.Config config = new MlpTrainer.Config(ds, data, hidden, activation, dropout, optimizer, lr, schedule, epochs, batch, seed,
                save, resume, precision);
        String where = String.join(", ", ds.stream().map(Device::spec).toList());
        if (config.dataParallel()) {
            out.println("training " + MlpTrainer.describe(config) + " data-parallel on " + ds.size() + " replicas (" + where + ")");
            ds.stream().distinct().forEach(d -> out.println("  " + d.description()));
        } else {
            out.println("training " + MlpTrainer.describe(config) + " on " + ds.get(0).description());
        }
        out.flush();
        LossCurve curve = new LossCurve();
        report(out, MlpTrainer.train(config, new Bar(epochs).and(curve)), curve, where, config);
        return 0;
    }

    /** The per-epoch table, the summary line, the CSV log and the chart. */
    private void report(PrintWriter out, List<MlpTrainer.Epoch> results, LossCurve curve, String where, MlpTrainer.Config config) throws IOException {
        if (results.isEmpty()) {
            out.println("nothing to do: the checkpoint is already at epoch " + epochs);
            out.flush();
            return;
        }
        Table t = new Table("epoch", "train loss", "test accuracy", "seconds", "samples/s");
        for (MlpTrainer.Epoch e : results) {
            t.row(e.epoch(), String.format("%.4f", e.trainLoss()), String.format("%.4f", e.testAccuracy()), String.format("%.1f", e.seconds()),
                    String.format("%.0f", e.samplesPerSecond()));
        }
        t.print(out);
        MlpTrainer.Epoch last = results.get(results.size() - 1);
        double perEpoch = results.stream().mapToDouble(MlpTrainer.Epoch::seconds).average().orElse(0);
        out.printf("test accuracy %.4f after %d epochs; %.1f s per epoch on %s%n", last.testAccuracy(), last.epoch(), perEpoch, where);
        if (log != null) writeCsv(results);
        if (chart != null) {
            drawChart(curve, results, MlpTrainer.describe(config) + " on " + where);
            out.println("chart: " + chart.toAbsolutePath());
        }
        out.flush();
    }

    /** The --spark path: the job runs as one Spark stage, so its epochs are reported when it ends (workers log progress). */
    private int onSpark(PrintWriter out) throws IOException {
        if (devices != null || save != null || resume != null || precision != DType.F32) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--spark trains with --device (each worker's) and --checkpoints DIR, not --devices, --save, --resume or --precision (it trains in F32)");
        }
        SparkTraining training = SparkTraining.find()
                .orElseThrow(() -> new picocli.CommandLine.ParameterException(spec.commandLine(), SparkTraining.MISSING));
        MlpTrainer.Config config = new MlpTrainer.Config(List.of(Device.cpu()), data, hidden, activation, dropout, optimizer, lr, schedule, epochs,
                batch, seed, null, null);
        String master = spark.isEmpty() ? null : spark;
        out.println("training " + MlpTrainer.describe(config) + " on Spark (" + (master == null ? "spark-submit's master" : master) + "), "
                + (workers > 0 ? workers + " workers" : "a worker per task slot") + ", device " + device + " each");
        out.flush();
        // the driver hears of the batches when the stage ends: the curve is drawn from the workers' step losses then
        LossCurve curve = new LossCurve();
        report(out, training.train(config, master, workers, device, checkpoints, curve), curve, "Spark" + (master == null ? "" : " " + master), config);
        return 0;
    }

    private void writeCsv(List<MlpTrainer.Epoch> results) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("epoch,train_loss,test_accuracy,seconds,samples_per_second");
        for (MlpTrainer.Epoch e : results) {
            lines.add(e.epoch() + "," + e.trainLoss() + "," + e.testAccuracy() + "," + e.seconds() + "," + e.samplesPerSecond());
        }
        Files.write(log, lines);
    }

    /**
     * Training loss every {@link MlpTrainer#LOSS_READ_EVERY} batches (the mean over those batches) against the epoch
     * reached, on the left axis, and test accuracy at each epoch's end on the right: one epoch already draws a curve.
     */
    private void drawChart(LossCurve curve, List<MlpTrainer.Epoch> results, String title) throws IOException {
        // the bold title takes ~10 px a character: a long configuration widens the chart rather than being cut off
        XYChart c = new XYChartBuilder().width(Math.max(900, 10 * title.length() + 60)).height(520).title(title).xAxisTitle("epoch").build();
        if (curve.x.isEmpty()) {   // fewer batches than one loss reading: the epochs' mean losses
            for (MlpTrainer.Epoch e : results) { curve.x.add((double) e.epoch()); curve.y.add(e.trainLoss()); }
        }
        XYSeries loss = c.addSeries("training loss (mean of " + MlpTrainer.LOSS_READ_EVERY + " batches)", curve.x, curve.y);
        loss.setMarker(SeriesMarkers.NONE);
        loss.setYAxisGroup(0);
        XYSeries acc = c.addSeries("test accuracy (end of epoch)", results.stream().map(e -> (double) e.epoch()).toList(),
                results.stream().map(MlpTrainer.Epoch::testAccuracy).toList());
        acc.setYAxisGroup(1);
        acc.setMarker(SeriesMarkers.DIAMOND);
        c.setYAxisGroupTitle(0, "cross-entropy");
        c.setYAxisGroupTitle(1, "test accuracy");
        var styler = c.getStyler();
        styler.setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
        styler.putYAxisGroupDecimalPatternMap(0, "0.00");
        styler.putYAxisGroupDecimalPatternMap(1, "0.000");
        styler.setXAxisDecimalPattern("0.#");
        styler.setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        // the accuracy axis spans its points with a margin (XChart's own range for a second group clipped the last one)
        double lo = results.stream().mapToDouble(MlpTrainer.Epoch::testAccuracy).min().orElse(0);
        double hi = results.stream().mapToDouble(MlpTrainer.Epoch::testAccuracy).max().orElse(1);
        double pad = Math.max(0.005, (hi - lo) * 0.1);
        styler.setYAxisMin(1, Math.max(0, lo - pad));
        styler.setYAxisMax(1, Math.min(1, hi + pad));
        styler.setMarkerSize(9);
        double first = Math.min(curve.x.get(0), results.get(0).epoch()), last = results.get(results.size() - 1).epoch();
        styler.setXAxisMin(Math.floor(first));
        styler.setXAxisMax(last);
        Path parent = chart.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        BitmapEncoder.saveBitmap(c, chart.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** The loss readings as points: x the epoch reached (epoch 1 half done = 0.5), y the mean loss since the last reading. */
    static final class LossCurve implements MlpTrainer.Listener {
        final List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        private int epoch, batches, done;
        private long seen, seenAtLastReading;
        private double sumAtLastReading;

        @Override
        public void epochStarted(int epoch, int batches) {
            this.epoch = epoch;
            this.batches = batches;
            done = 0;
            seen = seenAtLastReading = 0;
            sumAtLastReading = 0;
        }

        @Override
        public void batchDone(int samples) {
            done++;
            seen += samples;
        }

        @Override
        public void lossSoFar(double meanLoss) {
            // the reading is the epoch's running mean: the window's mean is what its sum grew by, per sample
            double sum = meanLoss * seen;
            if (seen > seenAtLastReading) {
                x.add(epoch - 1 + (double) done / batches);
                y.add((sum - sumAtLastReading) / (seen - seenAtLastReading));
            }
            seenAtLastReading = seen;
            sumAtLastReading = sum;
        }
    }

    /** A progress bar per epoch: samples done, rate, ETA and the running loss. */
    private static final class Bar implements MlpTrainer.Listener {
        private final int epochs;
        private ProgressBar bar;

        Bar(int epochs) {
            this.epochs = epochs;
        }

        @Override
        public void epochStarted(int epoch, int n) {
            bar = ProgressBars.builder(String.format("epoch %d/%d", epoch, epochs), n, 130).setUnit(" batches", 1).showSpeed().build();
        }

        @Override
        public void batchDone(int samples) {
            bar.step();
        }

        @Override
        public void lossSoFar(double meanLoss) {
            bar.setExtraMessage(String.format(" loss %.4f", meanLoss));
        }

        @Override
        public void epochDone(MlpTrainer.Epoch e) {
            bar.setExtraMessage(String.format(" loss %.4f, test accuracy %.4f, %.0f samples/s", e.trainLoss(), e.testAccuracy(), e.samplesPerSecond()));
            bar.close();
        }
    }
}
