package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.data.Batch;
import org.tessera.data.DataLoader;
import org.tessera.nn.Losses;
import org.tessera.profile.Profiler;

/**
 * Argument checks that do not read the device: labels and indices whose bounds are known (made from host data, or
 * views and selections of such) are checked with no device-to-host read, so a training step keeps the launch queue
 * full; and the norm's backward has no item(). Counted with the profiler's "read (to host)" entry on the CPU device,
 * where every read goes through it. Values whose bounds are not known, or changed in place, are still read and
 * checked before any kernel.
 */
class NoHiddenReadsTest {
    private static final Device CPU = Device.cpu();

    @AfterEach
    void profilerOff() {
        Profiler.disable();
        Profiler.reset();
    }

    private static long reads(Runnable body) {
        Profiler.reset();
        Profiler.enable();
        body.run();
        Profiler.disable();
        return Profiler.snapshot().stream().filter(e -> e.name().equals("read (to host)")).mapToLong(Profiler.Entry::calls).sum();
    }

    @Test
    void aTrainingStepsLabelAndIndexChecksReadNothing() {
        Tensor images = Tensor.randn(CPU, new Rng(1), 64, 5);
        Tensor hostLabels = Tensor.of(CPU, java.util.stream.IntStream.range(0, 64).map(i -> i % 3).toArray(), 64);
        DataLoader loader = new DataLoader(images, hostLabels, 16, true, new Rng(2));
        Tensor w = Tensor.randn(CPU, new Rng(3), 5, 3).requiresGrad(true);
        long n = reads(() -> {
            for (Batch b : loader) {
                Tensor logits = b.x().matmul(w);
                Losses.crossEntropy(logits, b.y()).backward();
                Losses.nll(logits.logSoftmax(1), b.y());
                Losses.multiMargin(logits, b.y());
            }
        });
        assertEquals(0, n, "reads to host in 4 batches: " + Profiler.report(20));
    }

    @Test
    void gatherAndIndexSelectWithHostIndicesReadNothing() {
        Tensor x = Tensor.randn(CPU, new Rng(4), 4, 6);
        Tensor index = Tensor.of(CPU, new int[] {5, 0, 3, 3, 1, 2, 0, 4}, 4, 2);
        Tensor rows = Tensor.of(CPU, new int[] {3, 0, 0}, 3);
        assertEquals(0, reads(() -> {
            x.gather(1, index);
            x.indexSelect(0, rows);
            x.gather(1, index.narrow(0, 1, 2));              // a view keeps the bounds
            x.indexSelect(1, index.reshape(-1).indexSelect(0, rows));   // so does a selection of the index
        }));
    }

    @Test
    void normBackwardReadsNothingAndIsZeroAtZero() {
        Tensor x = Tensor.of(CPU, new double[] {3, -4}, 2).requiresGrad(true);
        assertEquals(0, reads(() -> x.norm().backward()));
        double[] g = x.grad().toDoubleArray();
        assertEquals(0.6, g[0], 1e-15);
        assertEquals(-0.8, g[1], 1e-15);
        Tensor z = Tensor.zeros(CPU, DType.F64, 3).requiresGrad(true);
        z.norm().backward();
        assertEquals(List.of(0.0, 0.0, 0.0), java.util.Arrays.stream(z.grad().toDoubleArray()).boxed().toList(), "0 at x = 0, as PyTorch");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void unknownOrRewrittenValuesAreStillCheckedBeforeAnyKernel(Device d) {
        Tensor logits = Tensor.randn(d, new Rng(5), 2, 10);
        Tensor labels = Tensor.of(d, new int[] {0, 9}, 2);
        logits.crossEntropy(labels);                                   // known bounds [0, 9]: fine
        Tensor computed = labels.add(1);                               // computed on the device: bounds unknown, read
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> logits.crossEntropy(computed));
        assertTrue(e.getMessage().contains("label 10 (row 1)"), e.getMessage());
        labels.addi(1);                                                // written in place: the old bounds no longer hold
        e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(logits, labels));
        assertTrue(e.getMessage().contains("label 10 (row 1)"), e.getMessage());
        Tensor index = Tensor.of(d, new int[] {0, 1}, 2);
        index.narrow(0, 1, 1).addi(5);                                 // through a view: the base's storage changed
        e = assertThrows(IllegalArgumentException.class, () -> logits.indexSelect(1, index.mul(2)));
        assertTrue(e.getMessage().contains("index 12 (element 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> logits.indexSelect(1, index.add(4)));
        assertTrue(e.getMessage().contains("index 10 (element 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> logits.indexSelect(0, index));
        assertTrue(e.getMessage().contains("index 6 (element 1)"), e.getMessage());
    }
}
