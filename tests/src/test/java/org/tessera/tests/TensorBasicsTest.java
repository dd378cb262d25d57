package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;

/** Creation, inspection, conversion and views: the parts of the Tensor API that are not ops. */
class TensorBasicsTest {

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void creationAndInspection(Device d) {
        Tensor t = Tensor.of(d, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertEquals(2, t.dim());
        assertEquals(6, t.numel());
        assertEquals(DType.F32, t.dtype());
        assertSame(d, t.device());
        assertArrayEquals(new int[] {1}, Tensor.of(d, new double[] {7}).shape(), "data without a shape is 1-D");
        assertEquals(0, Tensor.scalar(d, 2.5).dim());
        assertEquals(2.5, Tensor.scalar(d, 2.5).item());
        assertArrayEquals(new float[] {0, 0}, Tensor.zeros(d, 2).toFloatArray());
        assertArrayEquals(new double[] {1, 1}, Tensor.ones(d, DType.F64, 2).toDoubleArray());
        assertArrayEquals(new float[] {3, 3, 3}, Tensor.full(d, 3, 3).toFloatArray());
        assertArrayEquals(new int[] {0, 1, 2, 3}, Tensor.arange(4).to(d).toIntArray());
        assertEquals(DType.I32, Tensor.arange(4).dtype());
        assertArrayEquals(new float[] {0, 1, 2}, Tensor.arange(d, 3, DType.F32).toFloatArray());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void conversionsRoundAndTruncateLikePyTorch(Device d) {
        Tensor t = Tensor.of(d, new double[] {1.75, -2.5, 0.1}, 3);
        assertArrayEquals(new int[] {1, -2, 0}, t.to(DType.I32).toIntArray(), "to(I32) truncates toward zero");
        assertArrayEquals(new float[] {1.75f, -2.5f, 0.1f}, t.to(DType.F32).toFloatArray());
        assertArrayEquals(new double[] {1, -2, 0}, t.to(DType.I32).to(DType.F64).toDoubleArray());
        assertSame(t, t.to(DType.F64));
        assertSame(t, t.to(d));
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void viewsShareStorageAndCopiesDoNot(Device d) {
        Tensor t = Tensor.of(d, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor tr = t.t();
        assertArrayEquals(new int[] {3, 2}, tr.shape());
        assertFalse(tr.isContiguous());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, tr.toFloatArray());
        Tensor row = t.narrow(0, 1, 1);
        row.muli(10);                                 // writes through to t
        assertArrayEquals(new float[] {1, 2, 3, 40, 50, 60}, t.toFloatArray());
        assertEquals(1, t.version(), "views share the version counter");
        Tensor copy = tr.contiguous();
        copy.muli(0);
        assertArrayEquals(new float[] {1, 2, 3, 40, 50, 60}, t.toFloatArray());
        assertArrayEquals(new int[] {2, 1, 3}, t.unsqueeze(1).shape());
        assertArrayEquals(new int[] {2, 3}, t.unsqueeze(1).squeeze(1).shape());
        assertArrayEquals(new int[] {2, 3}, t.squeeze(0).shape(), "squeezing a dim that is not 1 is a no-op");
        assertArrayEquals(new int[] {4, 2, 3}, t.expand(4, 2, 3).shape());
        assertArrayEquals(new int[] {6}, t.flatten().shape());
        assertArrayEquals(new float[] {1, 2, 3, 40, 50, 60}, t.view(3, -1).toFloatArray());
    }

    @Test
    void toStringIsShortAndSaysShapeDtypeDeviceAndAFewValues() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
        String s = t.toString();
        assertTrue(s.startsWith("Tensor[2, 4] F32 cpu [1.000, 2.000"), s);
        assertTrue(s.endsWith(", ...]"), s);
        assertEquals("Tensor[2] I32 cpu [3, 4]", Tensor.of(new int[] {3, 4}).toString());
        Tensor x = Tensor.ones(2).requiresGrad(true);
        assertTrue(x.toString().endsWith("requires_grad"), x.toString());
        assertTrue(x.mul(2).toString().endsWith("grad_fn=mul"), x.mul(2).toString());
        assertTrue(Tensor.rand(new org.tessera.Rng(1), 1000, 1000).toString().length() < 120, "large tensors print briefly");
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void hostArraysReusedWithCopyToAndCopyFrom(Device d) {
        Tensor t = Tensor.of(d, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        float[] host = new float[6];
        t.transpose(0, 1).copyTo(host);                      // a strided view reads in its own row-major order
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, host);
        int before = t.version();
        t.copyFrom(new float[] {6, 5, 4, 3, 2, 1});
        assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, t.toFloatArray());
        assertTrue(t.version() > before, "a write moves the version counter");
        t.copyTo(host);
        assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, host);

        var wrongLength = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> t.copyFrom(new float[5]));
        assertTrue(wrongLength.getMessage().contains("has 6 elements, the array 5"), wrongLength.getMessage());
        var wrongType = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Tensor.of(d, new double[] {1, 2}).copyTo(new float[2]));
        assertTrue(wrongType.getMessage().contains("is F64, not F32"), wrongType.getMessage());
        var view = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> t.narrow(0, 1, 1).copyFrom(new float[3]));
        assertTrue(view.getMessage().contains("strided or offset view"), view.getMessage());
        Tensor leaf = Tensor.zeros(d, 2).requiresGrad(true);
        var graded = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> leaf.copyFrom(new float[] {1, 2}));
        assertTrue(graded.getMessage().contains("requires grad"), graded.getMessage());
        assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, t.toFloatArray(), "refused writes change nothing");
        try (var off = org.tessera.autograd.Autograd.noGrad()) {
            leaf.copyFrom(new float[] {1, 2});
        }
        assertArrayEquals(new float[] {1, 2}, leaf.toFloatArray());
    }

    @Test
    void theDefaultDeviceCanBeChanged() {
        Device before = Device.getDefault();
        try {
            Device.setDefault(Device.of("cpu:1"));
            assertSame(Device.of("cpu:1"), Tensor.zeros(2).device());
            assertEquals("cpu", Device.of("cpu:1").backend());
            assertTrue(Device.of("cpu:1").name().contains("1 thread"), Device.of("cpu:1").name());
        } finally {
            Device.setDefault(before);
        }
        assertTrue(Device.available().get(0).backend().equals("cpu"), "CPU first");
        for (Device d : Device.available()) {
            assertTrue(d.description().startsWith(d.spec() + ": " + d.name()), d.description());
            assertTrue(d.description().contains("fp64"), d.description());
        }
        assertSame(Device.cpu(), Device.best(), "no GPU backend on the class path: best() is the CPU");
    }
}
