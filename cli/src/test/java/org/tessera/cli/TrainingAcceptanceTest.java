package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;
import org.tessera.data.FashionMnist;
import org.tessera.nn.Linear;
import org.tessera.nn.Losses;
import org.tessera.nn.ReLU;
import org.tessera.nn.Sequential;
import org.tessera.optim.SGD;
import org.tessera.testing.Requires;

/**
 * The training stack's acceptance runs on real Fashion-MNIST (Debian's dataset-fashion-mnist; CI installs it; without it
 * these tests are skipped with the package to install, or fail under -Dtessera.requireAll=true), on the CPU backend.
 */
class TrainingAcceptanceTest {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingAcceptanceTest.class);
    static FashionMnist data;

    @BeforeAll
    static void load() throws IOException {
        Requires.that(Files.isDirectory(FashionMnist.DEBIAN_DIR), FashionMnist.missingMessage(FashionMnist.DEBIAN_DIR));
        data = FashionMnist.load(FashionMnist.DEBIAN_DIR, Device.cpu());
    }

    /** A 2-epoch run of the default MLP of `tessera train` reaches >= 0.84 test accuracy on the CPU. */
    @Test
    void twoEpochsOfTheDefaultMlpReach84Percent() throws IOException {
        List<MlpTrainer.Epoch> epochs = MlpTrainer.train(MlpTrainer.defaults(Device.cpu(), 2), new MlpTrainer.Listener() {});
        assertEquals(2, epochs.size());
        double acc = epochs.get(1).testAccuracy();
        LOG.info("default MLP, 2 epochs on CPU: test accuracy {}, losses {} -> {}", acc, epochs.get(0).trainLoss(), epochs.get(1).trainLoss());
        assertTrue(acc >= 0.84, "test accuracy " + acc);
        assertTrue(epochs.get(1).trainLoss() < epochs.get(0).trainLoss());
    }

    /**
     * The lecture's run: MLP 784-200-1 (Linear, ReLU, Linear), MSE, full-batch SGD at lr 1e-2 on the first 1000
     * training images standardised by their own mean and std, target "label == 5", errors = (prediction > 0.5) != target. PyTorch reaches 0
     * errors at steps 734-916 for seeds 0, 2, 3, 4 and ends seed 1 with 1. Here: over 5 seeds, at most 1 error
     * each after 1000 steps and 0 for at least 3 of them.
     */
    @Test
    void theLecturesRunReachesZeroTrainingErrors() {
        // standardised with the 1000 images' own mean and std: with that, PyTorch 1.13 here reproduces the issue's
        // steps (first 0 errors at 735, -, 731, 817, 917 counting from 1); with the training set's statistics 717-906
        Tensor raw = data.trainImages().narrow(0, 0, 1000);
        double mean = raw.mean().item(), sd = Math.sqrt(raw.sub(mean).pow(2).mean().item());
        Tensor x = raw.sub(mean).div(sd);
        int[] labels = data.trainLabels().narrow(0, 0, 1000).toIntArray();
        float[] t = new float[1000];
        for (int i = 0; i < 1000; i++) t[i] = labels[i] == 5 ? 1 : 0;
        Tensor target = Tensor.of(Device.cpu(), t, 1000, 1);
        List<Integer> finalErrors = new ArrayList<>();
        for (long seed = 0; seed < 5; seed++) {
            Rng rng = new Rng(seed);
            Sequential m = new Sequential(new Linear(784, 200, true, rng, Device.cpu(), DType.F32), new ReLU(),
                    new Linear(200, 1, true, rng, Device.cpu(), DType.F32));
            SGD opt = new SGD(m.parameters(), 1e-2);
            int zeroAt = -1;
            int errors = -1;
            for (int step = 1; step <= 1000; step++) {
                try (Scope s = Scope.open()) {
                    opt.zeroGrad();
                    Tensor pred = m.forward(x);
                    Tensor loss = Losses.mse(pred, target);
                    loss.backward();
                    opt.step();
                    errors = errors(pred, t);
                    if (errors == 0 && zeroAt < 0) zeroAt = step;
                }
            }
            try (var off = Autograd.noGrad(); Scope s = Scope.open()) {
                errors = errors(m.forward(x), t);
            }
            LOG.info("lecture run, seed {}: {} training errors after 1000 steps (first 0 at step {})", seed, errors, zeroAt);
            finalErrors.add(errors);
            m.close();
        }
        assertTrue(finalErrors.stream().allMatch(e -> e <= 1), "errors per seed " + finalErrors);
        assertTrue(finalErrors.stream().filter(e -> e == 0).count() >= 3, "errors per seed " + finalErrors);
    }

    private static int errors(Tensor pred, float[] target) {
        float[] p = pred.toFloatArray();
        int e = 0;
        for (int i = 0; i < p.length; i++) if ((p[i] > 0.5f ? 1 : 0) != target[i]) e++;
        return e;
    }

    /**
     * The lecture's perceptron, written with Tensor ops: on the first 1000 training images of classes 0 and 1 (raw
     * pixels, no bias, w starts at 0) it finds an epoch without mistakes within 100 epochs (NumPy: after 22 epochs,
     * 2.1% test error on the 2000 test images of those classes). On all 12,000 images it would never converge.
     */
    @Test
    void thePerceptronConvergesOnTwoSeparableClasses() {
        int[] trainLabels = data.trainLabels().toIntArray();
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < trainLabels.length && rows.size() < 1000; i++) if (trainLabels[i] <= 1) rows.add(i);
        Tensor x = gatherRows(data.trainImages(), rows);
        double[] y = rows.stream().mapToDouble(i -> trainLabels[i] == 1 ? 1 : -1).toArray();
        Tensor w = Tensor.zeros(Device.cpu(), 784);
        int epoch = 0, mistakes = -1;
        while (mistakes != 0 && epoch < 100) {
            epoch++;
            mistakes = 0;
            for (int i = 0; i < rows.size(); i++) {
                try (Scope s = Scope.open()) {
                    Tensor xi = x.narrow(0, i, 1).reshape(784);
                    if (y[i] * xi.mul(w).sum().item() <= 0) {
                        w.addi(xi.mul(y[i]));
                        mistakes++;
                    }
                }
            }
        }
        int[] testLabels = data.testLabels().toIntArray();
        List<Integer> testRows = new ArrayList<>();
        for (int i = 0; i < testLabels.length; i++) if (testLabels[i] <= 1) testRows.add(i);
        float[] scores = gatherRows(data.testImages(), testRows).matmul(w).toFloatArray();
        int wrong = 0;
        for (int k = 0; k < testRows.size(); k++) if ((scores[k] > 0 ? 1 : 0) != testLabels[testRows.get(k)]) wrong++;
        double testError = wrong / (double) testRows.size();
        LOG.info("perceptron: no mistakes in epoch {}; test error {} on {} images", epoch, testError, testRows.size());
        assertEquals(0, mistakes, "an epoch without mistakes within 100 epochs");
        assertEquals(2000, testRows.size());
        assertTrue(testError < 0.05, "test error " + testError);
    }

    private static Tensor gatherRows(Tensor images, List<Integer> rows) {
        int[] idx = rows.stream().mapToInt(Integer::intValue).toArray();
        int[] expanded = new int[idx.length * 784];
        for (int r = 0; r < idx.length; r++) java.util.Arrays.fill(expanded, r * 784, (r + 1) * 784, idx[r]);
        return images.gather(0, Tensor.of(Device.cpu(), expanded, idx.length, 784));
    }
}
