package org.tessera.backend;

import java.util.Arrays;

/**
 * Several views of one shape, walked together in row-major order, with dims of size 1 dropped and adjacent
 * dims merged wherever every operand steps through them as one. Dense operands collapse to a single run.
 * Every backend walks elementwise operands this way (the CPU in chunks, OpenCL by a layout kernel argument).
 */
public final class Coalesced {
    /** The merged shape (rank may be 0 for a single element). */
    public final int[] shape;
    /** {@code strides[operand][dim]}; all zeros for an absent (null) operand. */
    public final int[][] strides;
    public final int[] offsets;
    public final int numel;
    /** True when every operand is contiguous: element i of operand k is at {@code offsets[k] + i}. */
    public final boolean dense;

    private Coalesced(int[] shape, int[][] strides, int[] offsets, int numel, boolean dense) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
        this.numel = numel;
        this.dense = dense;
    }

    /** Joint layout of views that all have {@code views[0]}'s shape (nulls allowed). */
    public static Coalesced of(Strided... views) {
        int[] full = views[0].shape();
        int rank = full.length;
        int k = views.length;
        int[] offsets = new int[k];
        boolean dense = true;
        for (int v = 0; v < k; v++) {
            if (views[v] == null) continue;
            offsets[v] = views[v].offset();
            dense &= views[v].isContiguous();
        }
        int n = 1;
        for (int s : full) n *= s;
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
        int[][] strides = new int[k][];
        for (int v = 0; v < k; v++) strides[v] = Arrays.copyOf(st[v], r);
        return new Coalesced(Arrays.copyOf(shape, r), strides, offsets, n, dense);
    }
}
