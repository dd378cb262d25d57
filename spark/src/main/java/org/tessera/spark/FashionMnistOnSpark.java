package org.tessera.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.cli.MlpTrainer;
import org.tessera.cli.SparkTraining;
import org.tessera.data.Batch;
import org.tessera.data.FashionMnist;
import org.tessera.nn.Module;

/**
 * {@code tessera train --spark}: the command's MLP on Fashion-MNIST through {@link SparkTrainer}. Every executor reads
 * the dataset from the same directory (Debian's package on every machine, or a shared one), so the workers see
 * exactly the batches of {@code tessera train --devices} with as many replicas, and end with its parameters.
 */
public final class FashionMnistOnSpark implements SparkTraining {
    private static final Logger LOG = LoggerFactory.getLogger(FashionMnistOnSpark.class);

    @Override
    public List<MlpTrainer.Epoch> train(MlpTrainer.Config c, String master, int workers, String device, Path checkpoints, MlpTrainer.Listener listener)
            throws IOException {
        SparkConf conf = new SparkConf().setAppName("tessera train").setIfMissing("spark.ui.enabled", "false");
        if (master != null) conf.setMaster(master);
        if (!conf.contains("spark.master")) {
            throw new IllegalArgumentException("no Spark master: give one (--spark local[2], --spark spark://host:7077) or run under spark-submit");
        }
        if (conf.get("spark.master").startsWith("local")) {
            // one machine: the driver and the ring listen on loopback, whatever the host name resolves to
            conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        Path dir = checkpoints != null ? checkpoints : Files.createTempDirectory("tessera-spark-");
        LOG.info("checkpoints in {}", dir);
        String data = c.data().toAbsolutePath().toString(), activation = c.activation(), optimizer = c.optimizer(), schedule = c.schedule();
        int[] hidden = c.hidden();
        double dropout = c.dropout(), lr = c.lr();
        long seed = c.seed();
        try (JavaSparkContext spark = new JavaSparkContext(conf)) {
            SparkTrainer trainer = new SparkTrainer(spark).device(device).batch(c.batch()).seed(seed).checkpoints(dir).evaluator(new TestAccuracy(data));
            if (workers > 0) trainer.workers(workers);
            if (!schedule.equals("none")) trainer.schedule((opt, steps) -> MlpTrainer.schedule(schedule, opt, steps));
            SparkTrainer.Result r = trainer.fit(trainingSet(data),
                    (d, random) -> MlpTrainer.mlp(784, hidden, 10, activation, dropout, new Rng(seed), random, d),
                    ps -> MlpTrainer.optimizer(optimizer, ps, lr), c.epochs());
            r.stateDict().values().forEach(Tensor::close);
            List<MlpTrainer.Epoch> out = new java.util.ArrayList<>();
            for (SparkTrainer.Epoch e : r.epochs()) out.add(replay(e, listener));
            return out;
        }
    }

    /** Tells {@code listener} of one epoch's steps as {@link MlpTrainer#train} does: every batch, the running loss every few. */
    static MlpTrainer.Epoch replay(SparkTrainer.Epoch e, MlpTrainer.Listener listener) {
        double[] losses = e.stepLosses();
        listener.epochStarted(e.epoch(), losses.length);
        double sum = 0;
        long seen = 0;
        for (int i = 0; i < losses.length; i++) {
            sum += losses[i] * e.stepRows()[i];
            seen += e.stepRows()[i];
            listener.batchDone(e.stepRows()[i]);
            if ((i + 1) % MlpTrainer.LOSS_READ_EVERY == 0) listener.lossSoFar(sum / seen);
        }
        MlpTrainer.Epoch done = new MlpTrainer.Epoch(e.epoch(), e.trainLoss(), e.metric(), e.seconds(), e.samplesPerSecond());
        listener.epochDone(done);
        return done;
    }

    /** The standardised training images and labels, as tessera train prepares them. */
    static SparkTrainer.SharedDataset trainingSet(String dir) {
        return device -> {
            FashionMnist f = FashionMnist.load(Path.of(dir), device), s = f.standardized();
            f.trainImages().close();
            f.testImages().close();
            s.testImages().close();
            s.testLabels().close();
            return new Batch(s.trainImages(), s.trainLabels());
        };
    }

    /** Worker 0's test accuracy after each epoch; the test set is read on first use. */
    static final class TestAccuracy implements SparkTrainer.Evaluator {
        private static final long serialVersionUID = 1L;
        private final String dir;
        private transient FashionMnist test;

        TestAccuracy(String dir) {
            this.dir = dir;
        }

        @Override
        public double evaluate(Module model, Device device) throws IOException {
            if (test == null) {
                FashionMnist raw = FashionMnist.load(Path.of(dir), device);
                test = raw.standardized();
                raw.trainImages().close();
                raw.testImages().close();
                test.trainImages().close();
            }
            return MlpTrainer.accuracy(model, test.testImages(), test.testLabels());
        }
    }
}
