package org.tessera.cpu;

import org.tessera.backend.Strided;

/**
 * Batched GEMM, {@code C = alpha * op(A) op(B) + beta * C}, cache-blocked in the GotoBLAS manner:
 * <pre>
 *   for jc (NC columns of B)            B block  KC x NC  packed into NR-wide panels (shared, L3)
 *     for pc (KC of the k dim)
 *       pack B block
 *       parallel for ic (MC rows), jr    A block  MC x KC  packed into MR-tall panels (per thread, L2)
 *         for each MR x NR tile: micro-kernel over KC   (B panel KC x NR stays in L1)
 * </pre>
 * Transposed operands are read in place while packing; no transposed copy is made.
 * F64 takes a simpler row-parallel path: it serves gradient checks and reference runs, not speed.
 */
final class Gemm {
    // Block sizes were swept on the CI machine (2-core AVX-512 EPYC, n = 512..2048, 2 threads); see the README.
    /** Depth of a packed block: a KC x NR panel of B is 64 KiB at NR = 32 (L1/L2). Property tessera.gemm.kc. */
    static final int KC = Integer.getInteger("tessera.gemm.kc", 512);
    /** Rows of A packed per task (a multiple of every kernel's MR): MC x KC floats = 240 KiB, in L2. Property tessera.gemm.mc. */
    static final int MC = Integer.getInteger("tessera.gemm.mc", 120);
    /** Columns of B packed at once: KC x NC floats (2 MiB) stay in L3. Property tessera.gemm.nc. */
    static final int NC = Integer.getInteger("tessera.gemm.nc", 2048);
    /** Below this many multiply-adds a product runs on the calling thread. */
    static final long SERIAL_FLOPS = Long.getLong("tessera.gemm.serialFlops", 1L << 18);

    private final Parallel parallel;
    private final MicroKernel kernel;
    private final ThreadLocal<float[]> packA = ThreadLocal.withInitial(() -> new float[0]);

    Gemm(Parallel parallel) {
        this(parallel, SimdSupport.kernel());
    }

    Gemm(Parallel parallel, MicroKernel kernel) {
        this.parallel = parallel;
        this.kernel = kernel;
    }

    /** Strides [batch, ld, 1]; when {@code trans} the stored matrix is [K, M] (resp. [N, K]). */
    void matmul(Strided a, boolean transA, Strided b, boolean transB, Strided out, double alpha, double beta) {
        int batch = out.shape()[0], m = out.shape()[1], n = out.shape()[2];
        int k = transA ? a.shape()[1] : a.shape()[2];
        Matrix ma = new Matrix(CpuBackend.array(a), a.offset(), a.strides()[0], a.strides()[1], transA);
        Matrix mb = new Matrix(CpuBackend.array(b), b.offset(), b.strides()[0], b.strides()[1], transB);
        Object c = CpuBackend.array(out);
        int cBatch = out.strides()[0], ldc = out.strides()[1];
        long flops = (long) m * n * k;
        if (batch > 1 && flops < SERIAL_FLOPS * 4) {
            // many small products: one per task
            parallel.forRange(batch, Math.max(1, (int) (SERIAL_FLOPS / Math.max(1, flops))), (from, to) -> {
                for (int i = from; i < to; i++) one(ma, mb, c, out.offset() + i * cBatch, ldc, i, m, n, k, alpha, beta, true);
            });
            return;
        }
        for (int i = 0; i < batch; i++) one(ma, mb, c, out.offset() + i * cBatch, ldc, i, m, n, k, alpha, beta, flops < SERIAL_FLOPS);
    }

    /** One matrix operand: element (row, col) of op(X) for batch item {@code i}. */
    private record Matrix(Object data, int offset, int batchStride, int ld, boolean trans) {
        int at(int i, int row, int col) {
            return offset + i * batchStride + (trans ? col * ld + row : row * ld + col);
        }
    }

    private void one(Matrix a, Matrix b, Object c, int co, int ldc, int item, int m, int n, int k,
                     double alpha, double beta, boolean serial) {
        scaleC(c, co, ldc, m, n, beta);
        if (k == 0 || m == 0 || n == 0 || alpha == 0) return;
        if (c instanceof double[] cd) {
            gemm64(a, b, cd, co, ldc, item, m, n, k, alpha, serial);
        } else {
            gemm32(a, b, (float[]) c, co, ldc, item, m, n, k, (float) alpha, serial);
        }
    }

    private static void scaleC(Object c, int co, int ldc, int m, int n, double beta) {
        if (beta == 1) return;
        for (int i = 0; i < m; i++) {
            int row = co + i * ldc;
            if (c instanceof float[] f) {
                if (beta == 0) java.util.Arrays.fill(f, row, row + n, 0f);
                else for (int j = 0; j < n; j++) f[row + j] *= (float) beta;
            } else {
                double[] d = (double[]) c;
                if (beta == 0) java.util.Arrays.fill(d, row, row + n, 0.0);
                else for (int j = 0; j < n; j++) d[row + j] *= beta;
            }
        }
    }

    // ---- F32: blocked, packed, micro-kernel ----

    private void gemm32(Matrix a, Matrix b, float[] c, int co, int ldc, int item, int m, int n, int k, float alpha, boolean serial) {
        int mr = kernel.mr(), nr = kernel.nr();
        float[] ad = (float[]) a.data, bd = (float[]) b.data;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int panels = (nc + nr - 1) / nr;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                float[] bp = new float[panels * kc * nr];
                int jc0 = jc, pc0 = pc;
                Parallel.RangeBody packB = (from, to) -> {
                    for (int p = from; p < to; p++) packB(b, bd, item, pc0, kc, jc0 + p * nr, Math.min(nr, nc - p * nr), bp, p * kc * nr, nr);
                };
                if (serial) packB.run(0, panels);
                else parallel.forRange(panels, 4, packB);
                int rowBlocks = (m + MC - 1) / MC;
                // split columns too when there are fewer row blocks than threads (e.g. a small batch)
                int colSplit = serial ? 1 : Math.max(1, Math.min(panels, (parallel.threads() * 2 + rowBlocks - 1) / rowBlocks));
                int tasks = rowBlocks * colSplit;
                Parallel.RangeBody body = (from, to) -> {
                    for (int t = from; t < to; t++) {
                        int ic = (t / colSplit) * MC;
                        int mc = Math.min(MC, m - ic);
                        int p0 = (int) ((long) panels * (t % colSplit) / colSplit);
                        int p1 = (int) ((long) panels * (t % colSplit + 1) / colSplit);
                        float[] ap = packedA(((mc + mr - 1) / mr) * mr * kc);
                        packA(a, ad, item, ic, mc, pc0, kc, ap, mr);
                        for (int p = p0; p < p1; p++) {
                            int cols = Math.min(nr, nc - p * nr);
                            for (int ir = 0; ir < mc; ir += mr) {
                                kernel.run(ap, ir * kc, bp, p * kc * nr, kc, c, co + (ic + ir) * ldc + jc0 + p * nr, ldc,
                                        Math.min(mr, mc - ir), cols, alpha);
                            }
                        }
                    }
                };
                if (serial) body.run(0, tasks);
                else parallel.forRange(tasks, 1, body);
            }
        }
    }

    private float[] packedA(int size) {
        float[] buf = packA.get();
        if (buf.length < size) {
            buf = new float[size];
            packA.set(buf);
        }
        return buf;
    }

    /** Packs rows ic..ic+mc, depth pc..pc+kc of op(A) into MR-tall panels, k-major, zero-padding the last panel. */
    private static void packA(Matrix a, float[] ad, int item, int ic, int mc, int pc, int kc, float[] ap, int mr) {
        for (int ir = 0; ir < mc; ir += mr) {
            int rows = Math.min(mr, mc - ir);
            int base = ir * kc;
            for (int r = 0; r < mr; r++) {
                if (r >= rows) {
                    for (int kk = 0; kk < kc; kk++) ap[base + kk * mr + r] = 0;
                    continue;
                }
                int src = a.at(item, ic + ir + r, pc);
                int step = a.trans ? a.ld : 1;
                for (int kk = 0; kk < kc; kk++) ap[base + kk * mr + r] = ad[src + kk * step];
            }
        }
    }

    /** Packs depth pc..pc+kc, columns j0..j0+cols of op(B) into one NR-wide panel, zero-padding missing columns. */
    private static void packB(Matrix b, float[] bd, int item, int pc, int kc, int j0, int cols, float[] bp, int at, int nr) {
        if (!b.trans) {
            for (int kk = 0; kk < kc; kk++) {
                int src = b.at(item, pc + kk, j0);
                int dst = at + kk * nr;
                System.arraycopy(bd, src, bp, dst, cols);
                for (int j = cols; j < nr; j++) bp[dst + j] = 0;
            }
        } else {
            for (int j = 0; j < nr; j++) {
                if (j >= cols) {
                    for (int kk = 0; kk < kc; kk++) bp[at + kk * nr + j] = 0;
                    continue;
                }
                int src = b.at(item, pc, j0 + j);
                for (int kk = 0; kk < kc; kk++) bp[at + kk * nr + j] = bd[src + kk];
            }
        }
    }

    // ---- F64: row-parallel over a row-major copy of op(B) ----

    private void gemm64(Matrix a, Matrix b, double[] c, int co, int ldc, int item, int m, int n, int k, double alpha, boolean serial) {
        double[] ad = (double[]) a.data, bd = (double[]) b.data;
        double[] br = new double[k * n];
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < n; j++) br[kk * n + j] = bd[b.at(item, kk, j)];
        }
        Parallel.RangeBody rows = (from, to) -> {
            double[] acc = new double[n];
            for (int i = from; i < to; i++) {
                java.util.Arrays.fill(acc, 0);
                for (int kk = 0; kk < k; kk++) {
                    double x = ad[a.at(item, i, kk)];
                    int row = kk * n;
                    for (int j = 0; j < n; j++) acc[j] += x * br[row + j];
                }
                int out = co + i * ldc;
                for (int j = 0; j < n; j++) c[out + j] += alpha * acc[j];
            }
        };
        if (serial) rows.run(0, m);
        else parallel.forRange(m, Math.max(1, (int) (SERIAL_FLOPS / Math.max(1L, (long) n * k))), rows);
    }
}
