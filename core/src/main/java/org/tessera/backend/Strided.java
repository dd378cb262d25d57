package org.tessera.backend;

import java.util.Arrays;
import org.tessera.DType;

/**
 * A strided view of a buffer, as a backend receives its operands: element {@code (i0, i1, ...)} lives at
 * {@code offset + i0*strides[0] + i1*strides[1] + ...}. A stride of 0 repeats an element (broadcast).
 * Shapes and strides are never mutated once built.
 */
public record Strided(Buffer buffer, int[] shape, int[] strides, int offset) {

    public DType dtype() {
        return buffer.dtype();
    }

    public int rank() {
        return shape.length;
    }

    public int numel() {
        int n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** True when the elements are laid out densely in row-major order starting at {@code offset}. */
    public boolean isContiguous() {
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /** Row-major strides of a dense tensor of this shape. */
    public static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= shape[d];
        }
        return strides;
    }

    @Override
    public String toString() {
        return "Strided" + Arrays.toString(shape) + " strides " + Arrays.toString(strides) + " +" + offset + " " + dtype();
    }
}
