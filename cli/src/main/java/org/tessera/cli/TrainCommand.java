package org.tessera.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
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
        DatasetInstaller.forThisMachine().ensure(data, installData, out);
        Device d = DeviceOption.resolve(device);
        MlpTrainer.Config config = new MlpTrainer.Config(d, data, hidden, activation, dropout, optimizer, lr, schedule, epochs, batch, seed,
                save, resume);
        out.println("training " + MlpTrainer.describe(config) + " on " + d.description());
        out.flush();
        List<MlpTrainer.Epoch> results = MlpTrainer.train(config, new Bar(epochs));
        if (results.isEmpty()) {
            out.println("nothing to do: the checkpoint is already at epoch " + epochs);
            return 0;
        }
        Table t = new Table("epoch", "train loss", "test accuracy", "seconds", "samples/s");
        for (MlpTrainer.Epoch e : results) {
            t.row(e.epoch(), String.format("%.4f", e.trainLoss()), String.format("%.4f", e.testAccuracy()), String.format("%.1f", e.seconds()),
                    String.format("%.0f", e.samplesPerSecond()));
        }
        t.print(out);
        MlpTrainer.Epoch last = results.get(results.size() - 1);
        double perEpoch = results.stream().mapToDouble(MlpTrainer.Epoch::seconds).average().orElse(0);
        out.printf("test accuracy %.4f after %d epochs; %.1f s per epoch on %s%n", last.testAccuracy(), last.epoch(), perEpoch, d.spec());
        if (log != null) writeCsv(results);
        if (chart != null) {
            drawChart(results, MlpTrainer.describe(config) + " on " + d.spec());
            out.println("chart: " + chart.toAbsolutePath());
        }
        out.flush();
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

    private void drawChart(List<MlpTrainer.Epoch> results, String title) throws IOException {
        double[] x = results.stream().mapToDouble(MlpTrainer.Epoch::epoch).toArray();
        XYChart c = new XYChartBuilder().width(900).height(520).title(title).xAxisTitle("epoch").build();
        XYSeries loss = c.addSeries("training loss", x, results.stream().mapToDouble(MlpTrainer.Epoch::trainLoss).toArray());
        loss.setYAxisGroup(0);
        XYSeries acc = c.addSeries("test accuracy", x, results.stream().mapToDouble(MlpTrainer.Epoch::testAccuracy).toArray());
        acc.setYAxisGroup(1);
        c.setYAxisGroupTitle(0, "cross-entropy");
        c.setYAxisGroupTitle(1, "accuracy");
        c.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
        Path parent = chart.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        BitmapEncoder.saveBitmap(c, chart.toString(), BitmapEncoder.BitmapFormat.PNG);
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
            bar = new ProgressBarBuilder().setTaskName(String.format("epoch %d/%d", epoch, epochs)).setInitialMax(n).setUnit(" batches", 1)
                    .showSpeed().setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setMaxRenderedLength(130).continuousUpdate().build();
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
