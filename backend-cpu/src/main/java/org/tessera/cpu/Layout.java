package org.tessera.cpu;

import org.tessera.backend.Coalesced;
import org.tessera.backend.Strided;

/**
 * Chunk I/O over a {@link Coalesced} layout: moves consecutive (row-major) elements of each operand between
 * its typed array and dense {@code double[]} scratch, where the op formulas run. Dense layouts are read by
 * plain offsets (the common case, and all small ops); others walk their merged dims.
 */
final class Layout {
    private final Coalesced c;
    final int numel;

    private Layout(Coalesced c) {
        this.c = c;
        this.numel = c.numel;
    }

    static Layout of(Strided... views) {
        return new Layout(Coalesced.of(views));
    }

    boolean isDense() {
        return c.dense;
    }

    /** The merged shape the kernels walk (BackendInternalsTest checks the merging through it). */
    int[] shape() {
        return c.shape;
    }

    void read(int operand, Object array, int start, int n, double[] dst) {
        if (c.dense) Chunks.readDense(array, c.offsets[operand] + start, n, dst);
        else Chunks.read(array, c.shape, c.strides[operand], c.offsets[operand], start, n, dst);
    }

    void readFloats(int operand, float[] array, int start, int n, float[] dst) {
        if (c.dense) System.arraycopy(array, c.offsets[operand] + start, dst, 0, n);
        else Chunks.readFloats(array, c.shape, c.strides[operand], c.offsets[operand], start, n, dst);
    }

    void writeFloats(int operand, float[] array, int start, int n, float[] src) {
        if (c.dense) System.arraycopy(src, 0, array, c.offsets[operand] + start, n);
        else Chunks.writeFloats(array, c.shape, c.strides[operand], c.offsets[operand], start, n, src);
    }

    void write(int operand, Object array, int start, int n, double[] src) {
        if (c.dense) Chunks.writeDense(array, c.offsets[operand] + start, n, src);
        else Chunks.write(array, c.shape, c.strides[operand], c.offsets[operand], start, n, src);
    }
}
