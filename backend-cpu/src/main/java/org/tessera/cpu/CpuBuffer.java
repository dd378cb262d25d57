package org.tessera.cpu;

import org.tessera.DType;
import org.tessera.backend.Buffer;

/**
 * A buffer on the Java heap: a {@code float[]}, {@code double[]} or {@code int[]} by dtype; the bits of F16 in a
 * {@code short[]} and of BF16 in a {@code char[]}, two array types so that an array alone says its dtype, as the
 * others do (the element loops in {@link Chunks} dispatch on it).
 */
final class CpuBuffer implements Buffer {
    final DType dtype;
    final Object array;
    private final int capacity;

    CpuBuffer(DType dtype, Object array, int capacity) {
        this.dtype = dtype;
        this.array = array;
        this.capacity = capacity;
    }

    static Object newArray(DType dtype, int n) {
        return switch (dtype) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I32 -> new int[n];
            case F16 -> new short[n];
            case BF16 -> new char[n];
        };
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public String toString() {
        return "CpuBuffer(" + dtype + ", " + capacity + ")";
    }
}
