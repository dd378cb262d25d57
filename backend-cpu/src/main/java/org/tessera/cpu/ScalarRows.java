package org.tessera.cpu;

/** The portable {@link RowKernels}: plain loops, accumulation and exp in double, rounded to float on store. */
class ScalarRows implements RowKernels {

    @Override
    public double sum(float[] x, int off, int n) {
        // four independent accumulators: one chain of dependent adds ran at ~5 GB/s
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int i = off, end = off + n;
        for (; i + 3 < end; i += 4) {
            a0 += x[i];
            a1 += x[i + 1];
            a2 += x[i + 2];
            a3 += x[i + 3];
        }
        for (; i < end; i++) a0 += x[i];
        return (a0 + a1) + (a2 + a3);
    }

    @Override
    public float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) m = Math.max(m, x[i]);
        return m;
    }

    @Override
    public double sumExp(float[] x, int off, int n, float shift) {
        double s = 0;
        for (int i = off; i < off + n; i++) s += Math.exp((double) x[i] - shift);
        return s;
    }

    @Override
    public void expScaled(float[] x, int xo, int n, float shift, float scale, float[] out, int oo) {
        for (int i = 0; i < n; i++) out[oo + i] = (float) (Math.exp((double) x[xo + i] - shift) * scale);
    }

    @Override
    public void subtract(float[] x, int xo, int n, float shift, float logSum, float[] out, int oo) {
        for (int i = 0; i < n; i++) out[oo + i] = (x[xo + i] - shift) - logSum;
    }

    @Override
    public double dot(float[] a, int ao, float[] b, int bo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[ao + i] * b[bo + i];
        return s;
    }

    @Override
    public void mulShifted(float[] y, int yo, float[] g, int go, float shift, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) out[oo + i] = y[yo + i] * (g[go + i] - shift);
    }

    @Override
    public void subExpScaled(float[] g, int go, float[] y, int yo, float s, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) out[oo + i] = (float) (g[go + i] - Math.exp(y[yo + i]) * s);
    }

    @Override
    public void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) y[yo + i] += a * x[xo + i];
    }

    @Override
    public void dropout(float[] u, float p, float scale, float[] x, int xo, float[] mask, int mo, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            float m = u[i] >= p ? scale : 0f;
            mask[mo + i] = m;
            out[oo + i] = x[xo + i] * m;
        }
    }

    @Override
    public void columnSums(float[] x, int off, int ld, int rows, int cols, double[] acc) {
        for (int r = 0; r < rows; r++) {
            int row = off + r * ld;
            for (int j = 0; j < cols; j++) acc[j] += x[row + j];
        }
    }
}
