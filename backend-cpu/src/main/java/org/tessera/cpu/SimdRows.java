package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API {@link RowKernels}: float lanes with several accumulators; sums are kept in float over blocks of
 * {@link #BLOCK} elements (or {@link #ROWS} rows) and the block sums added in double, so a long row loses no more
 * than a short one. exp is {@link VectorMath#exp} (bit-reproducible; tails take its scalar twin, the same bits).
 * Other tails go through {@link ScalarRows}.
 * Loaded only through {@link SimdSupport}.
 */
final class SimdRows extends ScalarRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Elements summed in float before the block's sum goes into the double total. */
    private static final int BLOCK = 1024;
    /** Rows summed in float per column before going into the double accumulators. */
    private static final int ROWS = 64;

    @Override
    public double sum(float[] x, int off, int n) {
        double total = 0;
        int i = 0;
        for (; i + 4 * L <= n; ) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int end = Math.min(n, i + BLOCK) - 4 * L;
            for (; i <= end; i += 4 * L) {
                a0 = a0.add(FloatVector.fromArray(S, x, off + i));
                a1 = a1.add(FloatVector.fromArray(S, x, off + i + L));
                a2 = a2.add(FloatVector.fromArray(S, x, off + i + 2 * L));
                a3 = a3.add(FloatVector.fromArray(S, x, off + i + 3 * L));
            }
            total += a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        }
        return total + super.sum(x, off + i, n - i);
    }

    /**
     * Lane j of {@code fromArray(S, FRESH, r)} is 1 for j >= L - r, else 0: it keeps the last r lanes, the new ones of
     * an overlapping tail (a multiply: a masked blend was not intrinsified here). An old lane that was NaN stays NaN,
     * but it made the total NaN already.
     */
    private static final float[] FRESH = new float[2 * L];

    static {
        for (int j = L; j < 2 * L; j++) FRESH[j] = 1f;
    }

    // Rows of at least one vector end with one more vector over their last L elements, overlapping the lanes already
    // done: elementwise results are rewritten with the same bits, and reductions mask the old lanes. A scalar tail
    // cost as much as the vector loop on 100-element rows (its exp is not inlined there).

    @Override
    public float max(float[] x, int off, int n) {
        if (n < L) return super.max(x, off, n);
        int i = 0;
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int bound = S.loopBound(n); i < bound; i += L) m = m.max(FloatVector.fromArray(S, x, off + i));
        if (i < n) m = m.max(FloatVector.fromArray(S, x, off + n - L));          // a maximum may overlap
        return m.reduceLanes(VectorOperators.MAX);
    }

    @Override
    public double sumExp(float[] x, int off, int n, float shift) {
        if (n < L) {
            double total = 0;
            for (int i = 0; i < n; i++) total += VectorMath.exp(x[off + i] - shift);
            return total;
        }
        double total = 0;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; ) {
            FloatVector a = FloatVector.zero(S);
            int end = Math.min(bound, i + BLOCK);
            for (; i < end; i += L) a = a.add(VectorMath.exp(FloatVector.fromArray(S, x, off + i).sub(shift)));
            total += a.reduceLanes(VectorOperators.ADD);
        }
        if (i < n) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, off + n - L).sub(shift));
            total += e.mul(FloatVector.fromArray(S, FRESH, n - i)).reduceLanes(VectorOperators.ADD);
        }
        return total;
    }

    /** {@inheritDoc} {@code out} must not overlap {@code x}. */
    @Override
    public void expScaled(float[] x, int xo, int n, float shift, float scale, float[] out, int oo) {
        if (n < L) {
            for (int i = 0; i < n; i++) out[oo + i] = VectorMath.exp(x[xo + i] - shift) * scale;
            return;
        }
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            VectorMath.exp(FloatVector.fromArray(S, x, xo + i).sub(shift)).mul(scale).intoArray(out, oo + i);
        }
        if (i < n) VectorMath.exp(FloatVector.fromArray(S, x, xo + n - L).sub(shift)).mul(scale).intoArray(out, oo + n - L);
    }

    @Override
    public void subtract(float[] x, int xo, int n, float shift, float logSum, float[] out, int oo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).sub(shift).sub(logSum).intoArray(out, oo + i);
        }
        super.subtract(x, xo + i, n - i, shift, logSum, out, oo + i);
    }

    @Override
    public double dot(float[] a, int ao, float[] b, int bo, int n) {
        double total = 0;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; ) {
            FloatVector s = FloatVector.zero(S);
            int end = Math.min(bound, i + BLOCK);
            for (; i < end; i += L) s = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s);
            total += s.reduceLanes(VectorOperators.ADD);
        }
        return total + super.dot(a, ao + i, b, bo + i, n - i);
    }

    @Override
    public void mulShifted(float[] y, int yo, float[] g, int go, float shift, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, y, yo + i).mul(FloatVector.fromArray(S, g, go + i).sub(shift)).intoArray(out, oo + i);
        }
        super.mulShifted(y, yo + i, g, go + i, shift, out, oo + i, n - i);
    }

    /** {@inheritDoc} {@code out} must not overlap {@code g} or {@code y}. */
    @Override
    public void subExpScaled(float[] g, int go, float[] y, int yo, float s, float[] out, int oo, int n) {
        if (n < L) {
            for (int i = 0; i < n; i++) out[oo + i] = g[go + i] - VectorMath.exp(y[yo + i]) * s;
            return;
        }
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, g, go + i).sub(VectorMath.exp(FloatVector.fromArray(S, y, yo + i)).mul(s)).intoArray(out, oo + i);
        }
        if (i < n) {
            int t = n - L;
            FloatVector.fromArray(S, g, go + t).sub(VectorMath.exp(FloatVector.fromArray(S, y, yo + t)).mul(s)).intoArray(out, oo + t);
        }
    }

    @Override
    public void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(FloatVector.broadcast(S, a), FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        super.axpy(a, x, xo + i, y, yo + i, n - i);
    }

    @Override
    public void dropout(float[] u, float p, float scale, float[] x, int xo, float[] mask, int mo, float[] out, int oo, int n) {
        // a blend, not a branch: the scalar loop's unpredictable u >= p cost ~2.6 ns per element
        int i = 0;
        FloatVector keep = FloatVector.broadcast(S, scale), drop = FloatVector.zero(S);
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector m = drop.blend(keep, FloatVector.fromArray(S, u, i).compare(VectorOperators.GE, p));
            m.intoArray(mask, mo + i);
            FloatVector.fromArray(S, x, xo + i).mul(m).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            float m = u[i] >= p ? scale : 0f;
            mask[mo + i] = m;
            out[oo + i] = x[xo + i] * m;
        }
    }

    @Override
    public void columnSums(float[] x, int off, int ld, int rows, int cols, double[] acc) {
        float[] part = new float[cols];
        int bound = S.loopBound(cols);
        for (int r0 = 0; r0 < rows; r0 += ROWS) {
            java.util.Arrays.fill(part, 0f);
            int r1 = Math.min(rows, r0 + ROWS);
            for (int r = r0; r < r1; r++) {
                int row = off + r * ld, j = 0;
                for (; j < bound; j += L) FloatVector.fromArray(S, part, j).add(FloatVector.fromArray(S, x, row + j)).intoArray(part, j);
                for (; j < cols; j++) part[j] += x[row + j];
            }
            for (int j = 0; j < cols; j++) acc[j] += part[j];
        }
    }
}
