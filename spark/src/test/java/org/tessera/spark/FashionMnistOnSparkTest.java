package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.cli.MlpTrainer;
import org.tessera.cli.Tessera;
import org.tessera.data.FashionMnist;
import org.tessera.io.SafeTensors;
import org.tessera.testing.Requires;
import picocli.CommandLine;

/** {@code tessera train --spark local[2]} on Fashion-MNIST: what {@code --devices cpu:1,cpu:1} computes, through the command. */
class FashionMnistOnSparkTest {
    @Test
    void oneEpochOnLocal2EndsWithTheParametersOfTwoReplicasInProcess(@TempDir Path dir) throws Exception {
        Requires.that(Files.isDirectory(FashionMnist.DEBIAN_DIR), FashionMnist.missingMessage(FashionMnist.DEBIAN_DIR));
        // a small model; dropout on (each worker draws replica r's masks) and a cosine schedule, as tessera train
        Path dp = dir.resolve("dp.safetensors");
        Device cpu1 = Device.of("cpu:1");
        MlpTrainer.Epoch inProcess = MlpTrainer.train(new MlpTrainer.Config(List.of(cpu1, cpu1), FashionMnist.DEBIAN_DIR, new int[] {64}, "relu", 0.2,
                "adam", 1e-3, "cosine", 1, 250, 0, dp, null), new MlpTrainer.Listener() {}).get(0);

        Path ckpts = dir.resolve("spark"), log = dir.resolve("spark.csv");
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new Tessera());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("train", "--spark", "local[2]", "--device", "cpu:1", "--hidden", "64", "--batch", "250", "--epochs", "1",
                "--checkpoints", ckpts.toString(), "--log", log.toString(), "--chart", dir.resolve("chart.png").toString());
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("on Spark (local[2]), a worker per task slot, device cpu:1 each"), out.toString());
        assertTrue(out.toString().contains("s per epoch on Spark local[2]"), out.toString());
        String[] row = Files.readAllLines(log).get(1).split(",");
        assertEquals(inProcess.testAccuracy(), Double.parseDouble(row[2]), 0.005, "test accuracy");
        assertEquals(inProcess.trainLoss(), Double.parseDouble(row[1]), 1e-5, "mean training loss");
        assertTrue(Files.size(dir.resolve("chart.png")) > 0);

        Map<String, Tensor> a = SafeTensors.load(dp, Device.cpu()), b = SafeTensors.load(ckpts.resolve(TrainingTask.CHECKPOINT), Device.cpu());
        int compared = 0;
        for (var e : a.entrySet()) {
            if (!e.getKey().startsWith("model.")) continue;
            float[] u = e.getValue().toFloatArray(), v = b.get(e.getKey()).toFloatArray();
            double diff = 0;
            for (int i = 0; i < u.length; i++) diff = Math.max(diff, Math.abs(u[i] - v[i]));
            assertTrue(diff <= 1e-5, e.getKey() + " differs by " + diff);
            compared++;
        }
        assertEquals(4, compared, "two Linear layers' weights and biases");
    }

    @Test
    void theWorkersStepLossesReachTheListenerAsOneDeviceWouldTellThem() {
        double[] losses = new double[45];
        int[] rows = new int[45];
        for (int i = 0; i < 45; i++) {
            losses[i] = i;
            rows[i] = i == 44 ? 10 : 128;
        }
        List<Double> readings = new java.util.ArrayList<>();
        int[] batches = new int[2];
        MlpTrainer.Epoch e = FashionMnistOnSpark.replay(new SparkTrainer.Epoch(3, 1.5, 0.8, 2.0, 3000, losses, rows), new MlpTrainer.Listener() {
            @Override public void epochStarted(int epoch, int n) { batches[0] = n; }
            @Override public void batchDone(int samples) { batches[1] += samples; }
            @Override public void lossSoFar(double meanLoss) { readings.add(meanLoss); }
        });
        assertEquals(45, batches[0]);
        assertEquals(44 * 128 + 10, batches[1]);
        assertEquals(List.of(9.5, 19.5), readings, "the running mean after 20 and 40 steps");
        assertEquals(new MlpTrainer.Epoch(3, 1.5, 0.8, 2.0, 3000), e);
    }
}
