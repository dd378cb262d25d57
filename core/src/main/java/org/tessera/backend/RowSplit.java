package org.tessera.backend;

/**
 * A reduction's (or row op's) view of its input: "kept" dims index the outputs, "row" dims are reduced
 * (or, for softmax, the one dim a row runs along). Offsets of output {@code o}'s row in each operand follow
 * from the kept shape and that operand's kept strides.
 */
public final class RowSplit {
    public final int[] keptShape;
    /** {@code keptStrides[operand][k]}: strides of the kept dims in each operand. */
    public final int[][] keptStrides;
    public final int[] rowShape;
    /** {@code rowStrides[operand][r]}: strides of the row dims in each operand. */
    public final int[][] rowStrides;
    public final int outputs;
    public final int rowLength;

    private RowSplit(int[] keptShape, int[][] keptStrides, int[] rowShape, int[][] rowStrides) {
        this.keptShape = keptShape;
        this.keptStrides = keptStrides;
        this.rowShape = rowShape;
        this.rowStrides = rowStrides;
        int o = 1, l = 1;
        for (int v : keptShape) o *= v;
        for (int v : rowShape) l *= v;
        this.outputs = o;
        this.rowLength = l;
    }

    /** Splits operands of {@code views[0]}'s rank by the dims in {@code rowDims}. */
    public static RowSplit of(int[] rowDims, Strided... views) {
        int rank = views[0].rank();
        boolean[] inRow = new boolean[rank];
        for (int d : rowDims) inRow[d] = true;
        int nr = rowDims.length, nk = rank - nr;
        int[] keptShape = new int[nk], rowShape = new int[nr];
        int[][] keptStrides = new int[views.length][nk], rowStrides = new int[views.length][nr];
        for (int d = 0, k = 0, r = 0; d < rank; d++) {
            if (inRow[d]) {
                rowShape[r] = views[0].shape()[d];
                for (int v = 0; v < views.length; v++) rowStrides[v][r] = views[v].strides()[d];
                r++;
            } else {
                keptShape[k] = views[0].shape()[d];
                for (int v = 0; v < views.length; v++) keptStrides[v][k] = views[v].strides()[d];
                k++;
            }
        }
        return new RowSplit(keptShape, keptStrides, rowShape, rowStrides);
    }

    /** The dims a reduction reduces: where {@code out} (keep-dim shape) has size 1 and {@code x} does not. */
    public static int[] reducedDims(Strided x, Strided out) {
        int count = 0;
        for (int d = 0; d < x.rank(); d++) if (out.shape()[d] == 1 && x.shape()[d] != 1) count++;
        int[] dims = new int[count];
        for (int d = 0, i = 0; d < x.rank(); d++) if (out.shape()[d] == 1 && x.shape()[d] != 1) dims[i++] = d;
        return dims;
    }

    /** Offset in operand {@code operand} of output {@code o}'s row start, given the operand's base offset. */
    public int base(int operand, int o, int offset) {
        int pos = offset;
        for (int d = keptShape.length - 1; d >= 0; d--) {
            pos += (o % keptShape[d]) * keptStrides[operand][d];
            o /= keptShape[d];
        }
        return pos;
    }
}
