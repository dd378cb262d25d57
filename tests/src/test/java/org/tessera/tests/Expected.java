package org.tessera.tests;

import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.conformance.Reference;

/** The PyTorch reference values of {@link Reference} under the names the tests use. */
public final class Expected {
    public record Entry(int[] shape, double[] values) {}

    private Expected() {}

    public static Entry get(String key) {
        Reference.Entry e = Reference.get(key);
        return new Entry(e.shape(), e.values());
    }

    public static double[] values(String key) {
        return Reference.values(key);
    }

    /** The reference as a tensor of the given dtype on a device. */
    public static Tensor tensor(String key, Device device, DType dtype) {
        return Reference.tensor(key, device, dtype);
    }
}
