package org.tessera.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.tessera.Device;


/**
 * The main job side by side: two epochs of the default {@code tessera train} model on a device, and the same model,
 * data, batches, optimiser and schedule in PyTorch (bench/peers/train_peer.py), epoch by epoch. The first epoch of
 * each includes its warm-up (JIT here, first-touch and thread start-up there); the second is the steady state.
 */
public final class TrainComparison {
    private TrainComparison() {}

    /** Epoch times and the test accuracy after the last epoch, or why there are none. */
    public record Result(String runner, double[] seconds, double accuracy, String missing) {}

    public static final int EPOCHS = 2;

    public static Result tessera(Device d) {
        try {
            List<MlpTrainer.Epoch> epochs = MlpTrainer.train(MlpTrainer.defaults(d, EPOCHS), new MlpTrainer.Listener() {});
            double[] s = epochs.stream().mapToDouble(MlpTrainer.Epoch::seconds).toArray();
            return new Result(d.spec(), s, epochs.get(epochs.size() - 1).testAccuracy(), null);
        } catch (IOException | RuntimeException e) {
            return new Result(d.spec(), null, Double.NaN, e.getMessage());
        }
    }

    public static Result pytorch(Path script, int threads) {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isRegularFile(script)) return new Result("pytorch", null, Double.NaN, "no peer script at " + script);
        if (!Files.isExecutable(python)) return new Result("pytorch", null, Double.NaN, "no /usr/bin/python3");
        try {
            ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), Integer.toString(EPOCHS));
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                return new Result("pytorch", null, Double.NaN, "train_peer.py failed: " + err.lines().reduce((a, b) -> b).orElse("exit " + p.exitValue()));
            }
            List<Double> s = new ArrayList<>();
            double accuracy = Double.NaN;
            for (String line : out.split("\n")) {
                String[] f = line.split("\t");
                if (f.length < 4) continue;
                s.add(Double.parseDouble(f[1]));
                accuracy = Double.parseDouble(f[3]);
            }
            if (s.size() != EPOCHS) return new Result("pytorch", null, Double.NaN, "train_peer.py printed " + s.size() + " epochs");
            return new Result("pytorch", s.stream().mapToDouble(Double::doubleValue).toArray(), accuracy, null);
        } catch (IOException e) {
            return new Result("pytorch", null, Double.NaN, "could not run train_peer.py: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result("pytorch", null, Double.NaN, "interrupted");
        }
    }
}
