package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.graph.HookHandle;

/** Post-accumulate gradient hooks and {@code setGrad}, the two pieces data-parallel training is built on. */
class GradHooksTest {

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void aHookSeesTheSummedGradientOncePerBackward(Device d) {
        Tensor x = Tensor.of(d, new float[] {1, 2, 3}, 3).requiresGrad(true);
        List<float[]> seen = new ArrayList<>();
        HookHandle h = x.registerPostAccumulateGradHook(t -> {
            assertSame(x, t);
            seen.add(t.grad().toFloatArray());
        });
        // x reaches the loss along two paths: the hook runs once, after both gradients are summed (2x + 1)
        x.mul(x).add(x).sum().backward();
        assertEquals(1, seen.size());
        assertArrayEquals(new float[] {3, 5, 7}, seen.get(0));
        // a second backward accumulates, and the hook sees the running total
        x.mul(2).sum().backward();
        assertArrayEquals(new float[] {5, 7, 9}, seen.get(1));
        h.remove();
        x.sum().backward();
        assertEquals(2, seen.size(), "a removed hook is not called");
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void hooksAreForLeaves(Device d) {
        Tensor x = Tensor.of(d, new float[] {1, 2}, 2).requiresGrad(true);
        var e = assertThrows(IllegalStateException.class, () -> x.mul(2).registerPostAccumulateGradHook(t -> {}));
        assertTrue(e.getMessage().contains("computed by 'mul'"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void setGradIsAssignedAndLaterBackwardsAddIntoIt(Device d) {
        Tensor x = Tensor.of(d, new float[] {1, 2}, 2).requiresGrad(true);
        Tensor g = Tensor.of(d, new float[] {10, 20}, 2);
        x.setGrad(g);
        x.mul(3).sum().backward();
        assertSame(g, x.grad(), "accumulated in place into the assigned gradient");
        assertArrayEquals(new float[] {13, 23}, g.toFloatArray());
        x.setGrad(null);
        assertNull(x.grad());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void aGradientOfAnotherShapeOrDtypeIsRefusedAndNothingChanges(Device d) {
        Tensor x = Tensor.of(d, new float[] {1, 2}, 2).requiresGrad(true);
        x.sum().backward();
        var shape = assertThrows(IllegalArgumentException.class, () -> x.setGrad(Tensor.zeros(d, 3)));
        assertTrue(shape.getMessage().contains("[3] F32") && shape.getMessage().contains("[2] F32"), shape.getMessage());
        var dtype = assertThrows(IllegalArgumentException.class, () -> x.setGrad(Tensor.zeros(d, DType.F64, 2)));
        assertTrue(dtype.getMessage().contains("F64"), dtype.getMessage());
        assertArrayEquals(new float[] {1, 1}, x.grad().toFloatArray(), "the old gradient is kept");
    }
}
