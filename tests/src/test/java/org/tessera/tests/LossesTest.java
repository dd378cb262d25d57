package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.tests.Assertions2.assertClose;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.autograd.GradCheck;
import org.tessera.nn.Losses;

/** Every loss against PyTorch (values and gradients), on every device, plus GradCheck and bad labels. */
class LossesTest {

    private static Tensor labels(Device d) {
        double[] v = Expected.values("ce.labels");
        int[] l = new int[v.length];
        for (int i = 0; i < v.length; i++) l[i] = (int) v[i];
        return Tensor.of(d, l);
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void crossEntropyIsFusedAndMatchesPyTorch(Device d, DType t) {
        Tensor logits = Expected.tensor("ce.logits", d, t).requiresGrad(true);
        Tensor loss = Losses.crossEntropy(logits, labels(d));
        loss.backward();
        assertClose("ce.loss", loss);
        assertClose("ce.dlogits", logits.grad());
        assertTrue(loss.gradFn().op().equals("mean"), "mean of the fused per-row op");
        if (t == DType.F64) {
            Tensor y = labels(d);
            GradCheck.check(in -> Losses.crossEntropy(in.get(0), y), List.of(logits.detach().requiresGrad(true)));
            // per-row losses of transposed logits, with a non-uniform upstream gradient
            GradCheck.check(in -> in.get(0).t().crossEntropy(y), List.of(logits.detach().t().contiguous().requiresGrad(true)));
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void binaryCrossEntropyGradientAtLogitsOfZeroIsSigmoidMinusTarget(Device d, DType t) {
        // a zero-initialised output layer: the gradient is (0.5 - t) / n, not -t / n (relu' and abs' are 0 at 0)
        Tensor logits = Expected.tensor("bce0.logits", d, t).requiresGrad(true);
        Tensor loss = Losses.binaryCrossEntropyWithLogits(logits, Expected.tensor("bce0.target", d, t));
        loss.backward();
        assertClose("bce0.loss", loss);
        assertClose("bce0.dlogits", logits.grad());
        assertEquals((0.5 - 0.3) / 6, logits.grad().toDoubleArray()[1], 1e-7);
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void nllMultiMarginBceAndMseMatchPyTorch(Device d, DType t) {
        Tensor scores = Expected.tensor("nll.scores", d, t).requiresGrad(true);
        Tensor nll = Losses.nll(scores.logSoftmax(1), labels(d));
        nll.backward();
        assertClose("nll.loss", nll);
        assertClose("nll.dscores", scores.grad());
        scores.zeroGrad();
        Tensor mm = Losses.multiMargin(scores, labels(d));
        mm.backward();
        assertClose("mm.loss", mm);
        assertClose("mm.dscores", scores.grad());
        Tensor logits = Expected.tensor("bce.logits", d, t).requiresGrad(true);
        Tensor bce = Losses.binaryCrossEntropyWithLogits(logits, Expected.tensor("bce.target", d, t));
        bce.backward();
        assertClose("bce.loss", bce);
        assertClose("bce.dlogits", logits.grad());
        Tensor pred = Expected.tensor("mse.pred", d, t).requiresGrad(true);
        Tensor mse = Losses.mse(pred, Expected.tensor("mse.target", d, t));
        mse.backward();
        assertClose("mse.loss", mse);
        assertClose("mse.dpred", pred.grad());
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void lossesAreStableForHugeLogits(Device d, DType t) {
        Tensor logits = Tensor.of(d, new double[] {1000, -1000, 0, 0, 800, -800}, 2, 3).to(t).requiresGrad(true);
        Tensor labels = Tensor.of(d, new int[] {1, 2});
        Tensor loss = Losses.crossEntropy(logits, labels);
        loss.backward();
        assertEquals((2000 + 1600) / 2.0, loss.item(), 1e-3);   // lse(row) - row[label] per row
        assertTrue(logits.grad().allFinite());
        Tensor bce = Losses.binaryCrossEntropyWithLogits(Tensor.of(d, new double[] {500, -500}).to(t), Tensor.of(d, new double[] {0, 1}).to(t));
        assertEquals(500, bce.item(), 1e-3);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void badLabelsAreRejectedBeforeAnyWork(Device d) {
        Tensor logits = Tensor.ones(d, 2, 3).requiresGrad(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(logits, Tensor.of(d, new int[] {0, 3})));
        assertTrue(e.getMessage().contains("label 3") && e.getMessage().contains("3 classes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Losses.nll(logits, Tensor.of(d, new int[] {-1, 0})));
        assertThrows(IllegalArgumentException.class, () -> Losses.multiMargin(logits, Tensor.of(d, new int[] {0, 7})));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(logits, Tensor.of(d, new int[] {0, 1, 2})));
        assertTrue(shape.getMessage().contains("[2]") && shape.getMessage().contains("[3]"), shape.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(logits, Tensor.of(d, new float[] {0, 1})));
        assertThrows(IllegalArgumentException.class, () -> Losses.mse(logits, Tensor.ones(d, 3, 2)));
        assertTrue(logits.grad() == null, "nothing ran");
    }
}
