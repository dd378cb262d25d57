package org.tessera.cpu;

import org.tessera.backend.Strided;

/**
 * Several views of one shape walked together in row-major order. Dims of size 1 are dropped and adjacent
 * dims merged wherever every operand steps through them as one (so contiguous and simply strided operands
 * become one long run), then chunks of consecutive elements are moved between the buffers and dense
 * {@code double[]} scratch, where the op formulas run.
 */
final class Layout {
    final int[] shape;
    final int[][] strides;
    final int[] offsets;
    final int numel;
    /** Every operand is dense: chunks are read by plain offset arithmetic (the common case, and all small ops). */
    private final boolean dense;

    private Layout(int[] shape, int[][] strides, int[] offsets, int numel, boolean dense) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
        this.numel = numel;
        this.dense = dense;
    }

    /** Joint layout of views that all have {@code views[0]}'s shape (nulls allowed, they get no layout). */
    static Layout of(Strided... views) {
        boolean dense = true;
        for (Strided v : views) dense &= v == null || v.isContiguous();
        if (dense) {
            int[] offsets = new int[views.length];
            for (int v = 0; v < views.length; v++) offsets[v] = views[v] == null ? 0 : views[v].offset();
            return new Layout(null, null, offsets, views[0].numel(), true);
        }
        int[] full = views[0].shape();
        int rank = full.length;
        int k = views.length;
        int[] shape = new int[rank];
        int[][] st = new int[k][rank];
        int r = 0;
        for (int d = 0; d < rank; d++) {
            if (full[d] == 1) continue;
            if (r > 0) {
                boolean merge = true;
                for (int v = 0; v < k && merge; v++) {
                    if (views[v] != null) merge = st[v][r - 1] == views[v].strides()[d] * full[d];
                }
                if (merge) {
                    shape[r - 1] *= full[d];
                    for (int v = 0; v < k; v++) if (views[v] != null) st[v][r - 1] = views[v].strides()[d];
                    continue;
                }
            }
            shape[r] = full[d];
            for (int v = 0; v < k; v++) if (views[v] != null) st[v][r] = views[v].strides()[d];
            r++;
        }
        int[] offsets = new int[k];
        int[][] strides = new int[k][];
        for (int v = 0; v < k; v++) {
            strides[v] = java.util.Arrays.copyOf(st[v], r);
            offsets[v] = views[v] == null ? 0 : views[v].offset();
        }
        int n = 1;
        for (int s : full) n *= s;
        return new Layout(java.util.Arrays.copyOf(shape, r), strides, offsets, n, false);
    }

    boolean isDense() {
        return dense;
    }

    void read(int operand, Object array, int start, int n, double[] dst) {
        if (dense) Chunks.readDense(array, offsets[operand] + start, n, dst);
        else Chunks.read(array, shape, strides[operand], offsets[operand], start, n, dst);
    }

    void write(int operand, Object array, int start, int n, double[] src) {
        if (dense) Chunks.writeDense(array, offsets[operand] + start, n, src);
        else Chunks.write(array, shape, strides[operand], offsets[operand], start, n, src);
    }
}
