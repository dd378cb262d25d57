package org.tessera.cpu;

/**
 * F32 kernels over dense rows, the inner loops of {@link Reductions}: sums, maxima, and the pieces of softmax,
 * log-softmax and cross-entropy, forward and backward. {@link ScalarRows} is the portable form (double precision
 * where it accumulates); {@code SimdRows} the Vector API one (float lanes, partial sums of blocks added in double).
 * NaN propagates everywhere (a maximum over a row with NaN is NaN), as in PyTorch.
 */
interface RowKernels {
    /** The sum of {@code x[off .. off+n)}. */
    double sum(float[] x, int off, int n);

    /** The largest of {@code x[off .. off+n)}: NaN if one is NaN, -Inf for an empty row. */
    float max(float[] x, int off, int n);

    /** {@code sum of exp(x[i] - shift)}. */
    double sumExp(float[] x, int off, int n, float shift);

    /** {@code out[i] = exp(x[i] - shift) * scale}. */
    void expScaled(float[] x, int xo, int n, float shift, float scale, float[] out, int oo);

    /** {@code out[i] = (x[i] - shift) - logSum}: log-softmax given the row maximum and the log of its sum of exps. */
    void subtract(float[] x, int xo, int n, float shift, float logSum, float[] out, int oo);

    /** {@code sum of a[i] b[i]}. */
    double dot(float[] a, int ao, float[] b, int bo, int n);

    /** {@code out[i] = y[i] (g[i] - shift)}: the softmax gradient given {@code shift = dot(g, y)}. */
    void mulShifted(float[] y, int yo, float[] g, int go, float shift, float[] out, int oo, int n);

    /** {@code out[i] = g[i] - exp(y[i]) s}: the log-softmax gradient given {@code s = sum(g)}. */
    void subExpScaled(float[] g, int go, float[] y, int yo, float s, float[] out, int oo, int n);

    /** {@code y[yo + i] += a x[xo + i]} for {@code i < n}: a row of a matrix-vector product. */
    void axpy(float a, float[] x, int xo, float[] y, int yo, int n);

    /**
     * Dropout over {@code n} elements given their uniforms: {@code mask[i] = u[i] >= p ? scale : 0},
     * {@code out[i] = x[i] mask[i]} (the uniforms from {@code u[0]}).
     */
    void dropout(float[] u, float p, float scale, float[] x, int xo, float[] mask, int mo, float[] out, int oo, int n);

    /** {@code acc[j] += sum over r < rows of x[off + r ld + j]} for {@code j < cols}: column sums, rows read in order. */
    void columnSums(float[] x, int off, int ld, int rows, int cols, double[] acc);
}
