package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.TesseraException;
import org.tessera.Tensor;

/**
 * Every entry point given a wrong shape, dtype, dim, device or a closed tensor throws the documented
 * exception, with the shapes/dtypes in the message, before any work, and leaves its inputs unchanged.
 */
class BadInputTest {

    /** Asserts the exception type, that the message names every fragment, and returns it. */
    private static <T extends Throwable> T expect(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "message lacks '" + f + "': " + e.getMessage());
        return e;
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void shapeMismatchesNameBothShapes(Device d) {
        Tensor a = Tensor.ones(d, 2, 3), b = Tensor.ones(d, 4);
        expect(IllegalArgumentException.class, () -> a.add(b), "add", "[2, 3]", "[4]");
        expect(IllegalArgumentException.class, () -> a.maximum(b), "maximum", "[2, 3]", "[4]");
        expect(IllegalArgumentException.class, () -> a.matmul(Tensor.ones(d, 4, 5)), "matmul", "[2, 3]", "[4, 5]");
        expect(IllegalArgumentException.class, () -> a.reshape(4, 2), "reshape", "[4, 2]", "[2, 3]");
        expect(IllegalArgumentException.class, () -> a.expand(2, 5), "expand", "[2, 3]");
        expect(IllegalArgumentException.class, () -> Tensor.cat(List.of(a, Tensor.ones(d, 2, 4)), 0), "cat", "[2, 4]", "[2, 3]");
        expect(IllegalArgumentException.class, () -> a.narrow(1, 2, 2), "narrow", "[2, 3]");
        expect(IllegalArgumentException.class, () -> Tensor.of(d, new float[] {1, 2, 3}, 2, 2), "3 values", "[2, 2]");
        expect(IllegalArgumentException.class, () -> a.addi(Tensor.ones(d, 3, 2, 3)), "add_", "[3, 2, 3]", "[2, 3]");
        expect(IllegalArgumentException.class, () -> a.matmul(Tensor.scalar(d, 1)), "matmul", "[]");
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void dtypeMismatchesNameBothDtypes(Device d) {
        Tensor f = Tensor.ones(d, 2), g = Tensor.ones(d, DType.F64, 2), i = Tensor.ones(d, DType.I32, 2);
        expect(IllegalArgumentException.class, () -> f.add(g), "F32", "F64");
        expect(IllegalArgumentException.class, () -> f.mul(i), "F32", "I32");
        expect(IllegalArgumentException.class, () -> f.matmul(g), "F32", "F64");
        expect(IllegalArgumentException.class, () -> i.exp(), "exp", "I32");
        expect(IllegalArgumentException.class, () -> i.matmul(i), "matmul", "I32");
        expect(IllegalArgumentException.class, () -> f.gather(0, f), "I32", "F32");
        assertArrayEquals(new int[] {3, 3}, i.add(i).add(i.mul(i)).toIntArray(), "integer add/mul work");
    }

    @Test
    void deviceMismatchNamesBothDevices() {
        Device one = Device.of("cpu"), other = Device.of("cpu:1");
        Tensor a = Tensor.ones(one, 2), b = Tensor.ones(other, 2);
        expect(IllegalArgumentException.class, () -> a.add(b), "cpu", "cpu:1", "to(Device)");
        assertArrayEquals(new float[] {2, 2}, a.add(b.to(one)).toFloatArray());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void badDimsSayTheValidRange(Device d) {
        Tensor a = Tensor.ones(d, 2, 3);
        expect(IllegalArgumentException.class, () -> a.sum(2, false), "dim 2", "rank 2", "-2 to 1");
        expect(IllegalArgumentException.class, () -> a.softmax(-3), "softmax", "dim -3");
        expect(IllegalArgumentException.class, () -> a.transpose(0, 5), "transpose", "dim 5");
        expect(IllegalArgumentException.class, () -> a.argmax(3), "argmax");
        expect(IllegalArgumentException.class, () -> Tensor.scalar(d, 1).sum(0, false), "0-dimensional");
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void closedTensorsCannotBeUsed(Device d) {
        Tensor a = Tensor.ones(d, 2, 3);
        Tensor b = Tensor.ones(d, 2, 3);
        a.close();
        a.close();                                   // idempotent
        expect(IllegalStateException.class, () -> a.add(b), "closed", "[2, 3]");
        expect(IllegalStateException.class, () -> b.add(a), "closed");
        expect(IllegalStateException.class, a::toFloatArray, "closed");
        expect(IllegalStateException.class, () -> a.reshape(6), "closed");
        assertTrue(a.toString().contains("closed"));
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void gatherIndicesAreCheckedBeforeTheKernel(Device d) {
        Tensor x = Tensor.ones(d, 2, 3);
        expect(IllegalArgumentException.class, () -> x.gather(1, Tensor.of(d, new int[] {0, 3, 1, 1}, 2, 2)), "index 3", "size 3");
        expect(IllegalArgumentException.class, () -> x.gather(1, Tensor.of(d, new int[] {-1, 0}, 2, 1)), "index -1");
        expect(IllegalArgumentException.class, () -> x.gather(0, Tensor.of(d, new int[] {0}, 1)), "rank");
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void failedOpsLeaveTheirInputsUnchanged(Device d) {
        Tensor a = Tensor.of(d, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> a.addi(Tensor.ones(d, 4)));
        assertThrows(IllegalArgumentException.class, () -> a.muli(Tensor.ones(d, DType.F64, 2, 3)));
        assertThrows(IllegalArgumentException.class, () -> a.gather(1, Tensor.of(d, new int[] {9, 0}, 2, 1)));
        assertThrows(IllegalArgumentException.class, () -> a.unsqueeze(0).expand(2, 2, 3).addi(1));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.toFloatArray());
        assertEquals(0, a.version());
    }

    @Test
    void unknownDevicesListWhatIsAvailable() {
        expect(TesseraException.class, () -> Device.of("tpu"), "tpu", "cpu");
        expect(TesseraException.class, () -> Device.of("opencl:99"), "opencl:99");
        expect(TesseraException.class, () -> Device.of("cpu:zero"), "cpu:zero", "thread count");
        expect(TesseraException.class, () -> Device.of("cpu:0"), "positive");
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void viewOfANonContiguousTensorSaysToUseReshape(Device d) {
        Tensor t = Tensor.ones(d, 2, 3).t();
        expect(IllegalStateException.class, () -> t.view(6), "not contiguous", "reshape");
        assertArrayEquals(new int[] {6}, t.reshape(6).shape());
        expect(IllegalStateException.class, () -> Tensor.ones(d, 3).item(), "one element", "[3]");
        expect(IllegalArgumentException.class, () -> Tensor.ones(d, 3).clamp(2, 1), "clamp");
    }
}
