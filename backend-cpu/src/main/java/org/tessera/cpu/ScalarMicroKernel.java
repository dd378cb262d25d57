package org.tessera.cpu;

/**
 * Portable micro-kernel: a 4x16 tile accumulated in a local array whose inner 16-wide loop HotSpot's
 * superword pass turns into SIMD. Used when the Vector API module is absent.
 */
final class ScalarMicroKernel implements MicroKernel {
    private static final int MR = 4;
    private static final int NR = 16;

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void run(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, int rows, int cols, float alpha) {
        float[] acc = new float[MR * NR];
        for (int k = 0; k < kc; k++) {
            int b = bo + k * NR;
            int a = ao + k * MR;
            for (int r = 0; r < MR; r++) {
                float x = ap[a + r];
                int row = r * NR;
                for (int j = 0; j < NR; j++) acc[row + j] += x * bp[b + j];
            }
        }
        for (int r = 0; r < rows; r++) {
            int out = co + r * ldc;
            for (int j = 0; j < cols; j++) c[out + j] += alpha * acc[r * NR + j];
        }
    }
}
