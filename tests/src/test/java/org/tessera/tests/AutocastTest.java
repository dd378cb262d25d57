package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.Autocast;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.nn.Linear;
import org.tessera.nn.Losses;
import org.tessera.nn.ReLU;
import org.tessera.nn.Sequential;
import org.tessera.optim.LossScaler;
import org.tessera.optim.SGD;

/** Mixed precision: {@link Autocast} regions (F32 master weights, 16-bit products) and F16 loss scaling ({@link LossScaler}). */
class AutocastTest {

    static List<Object[]> devicesAndHalves() {
        List<Object[]> out = new ArrayList<>();
        for (Device d : Devices.all().toList()) for (DType t : List.of(DType.F16, DType.BF16)) out.add(new Object[] {d, t});
        return out;
    }

    static Sequential mlp(Device d) {
        Rng rng = new Rng(3);
        return new Sequential().add(new Linear(12, 16, true, rng, d, DType.F32)).add(new ReLU()).add(new Linear(16, 5, true, rng, d, DType.F32));
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("devicesAndHalves")
    void productsRunIn16BitsAndMasterWeightsGetF32GradientsCloseToF32Training(Device d, DType t) {
        Tensor x = Tensor.randn(d, new Rng(5), 32, 12);
        Tensor y = Tensor.of(d, new int[] {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1}, 32);
        Sequential full = mlp(d), mixed = mlp(d);
        Losses.crossEntropy(full.forward(x), y).backward();
        Tensor loss;
        try (Autocast.Region r = Autocast.enable(t)) {
            Tensor logits = mixed.forward(x);
            assertEquals(t, logits.dtype(), "Linear's product in the region's dtype");
            loss = Losses.crossEntropy(logits, y);
            assertEquals(DType.F32, loss.dtype(), "the loss widened to F32");
        }
        loss.backward();
        double tol = t == DType.BF16 ? 0.03 : 0.005;
        for (int i = 0; i < full.parameters().size(); i++) {
            Tensor master = mixed.parameters().get(i);
            assertEquals(DType.F32, master.dtype());
            assertEquals(DType.F32, master.grad().dtype(), "the F32 master's gradient");
            float[] want = full.parameters().get(i).grad().toFloatArray(), got = master.grad().toFloatArray();
            double scale = 0;
            for (float v : want) scale = Math.max(scale, Math.abs(v));
            for (int k = 0; k < want.length; k++) assertEquals(want[k], got[k], tol * scale, "parameter " + i + " element " + k);
        }
    }

    @Test
    void regionsNestAndRestoreAndOnlyF32IsLowered() {
        assertNull(Autocast.dtype());
        Tensor f32 = Tensor.ones(2, 2), f64 = Tensor.ones(DType.F64, 2, 2);
        try (Autocast.Region outer = Autocast.enable(DType.BF16)) {
            try (Autocast.Region inner = Autocast.enable(DType.F16)) {
                assertEquals(DType.F16, f32.matmul(f32).dtype());
            }
            assertEquals(DType.BF16, Autocast.dtype());
            assertEquals(DType.BF16, f32.matmul(f32).dtype());
            assertEquals(DType.F64, f64.matmul(f64).dtype(), "F64 is left alone, as torch.autocast leaves float64");
            assertEquals(DType.F32, f32.add(f32).dtype(), "elementwise ops keep their inputs' dtype");
            outer.close();
            outer.close();
            assertNull(Autocast.dtype());
        }
        assertEquals(DType.F32, f32.matmul(f32).dtype(), "outside a region nothing changes");
        assertThrows(IllegalArgumentException.class, () -> Autocast.enable(DType.F32));
        assertThrows(IllegalArgumentException.class, () -> Autocast.enable(null));
    }

    /** A gradient of 1e-9 flows through an F16 product: it flushes to zero unless the loss is scaled. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void lossScalingKeepsF16GradientsFromUnderflowing(Device d) {
        Tensor x = Tensor.of(d, new float[] {1, 2, 3, 4}, 1, 4);
        float[] expected = {1e-9f, 2e-9f, 3e-9f, 4e-9f};
        for (boolean scaled : new boolean[] {false, true}) {
            Tensor w = Tensor.of(d, new float[] {0.5f, 0.25f, -0.5f, 1}, 4, 1).requiresGrad(true);
            SGD opt = new SGD(List.of(w), 1);
            LossScaler scaler = new LossScaler();
            Tensor loss;
            try (Autocast.Region r = Autocast.enable(DType.F16)) {
                loss = x.matmul(w).to(DType.F32).mul(1e-9).sum();
            }
            if (scaled) {
                scaler.scale(loss).backward();
                assertTrue(scaler.step(opt));
                scaler.update();
                float[] g = w.grad().toFloatArray();
                for (int i = 0; i < 4; i++) assertEquals(expected[i], g[i], expected[i] * 1e-3, "unscaled gradient " + i);
            } else {
                loss.backward();
                assertArrayEquals(new float[4], w.grad().toFloatArray(), "1e-9 is below F16's smallest subnormal (2^-24 = 6e-8)");
            }
        }
    }

    @Test
    void aStepWithAnInfiniteGradientIsSkippedAndTheScaleBacksOff() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        SGD opt = new SGD(List.of(w), 0.5);
        LossScaler scaler = new LossScaler(1024, 2, 0.5, 2);
        // a scaled loss whose gradient overflows: skipped, parameters untouched, scale halved
        scaler.scale(w.mul(Tensor.of(new float[] {Float.POSITIVE_INFINITY, 1}, 2)).sum()).backward();
        assertFalse(scaler.step(opt));
        scaler.update();
        assertArrayEquals(new float[] {1, 2}, w.toFloatArray());
        assertEquals(512, scaler.scale());
        // two good steps: each unscaled exactly (powers of two), the scale doubles after the second
        for (int step = 0; step < 2; step++) {
            opt.zeroGrad();
            scaler.scale(w.mul(3).sum()).backward();
            assertTrue(scaler.step(opt));
            scaler.update();
        }
        assertArrayEquals(new float[] {1 - 2 * 0.5f * 3, 2 - 2 * 0.5f * 3}, w.toFloatArray(), "two SGD steps of gradient 3");
        assertEquals(1024, scaler.scale());
        assertThrows(IllegalStateException.class, scaler::update, "update without a step");
        assertThrows(IllegalArgumentException.class, () -> new LossScaler(0, 2, 0.5, 1));
    }
}
