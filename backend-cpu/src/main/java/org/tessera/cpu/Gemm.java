package org.tessera.cpu;

import java.util.function.Supplier;
import org.tessera.backend.Strided;

/**
 * Batched GEMM, {@code C = alpha * op(A) op(B) + beta * C}, cache-blocked in the GotoBLAS manner:
 * <pre>
 *   for jc (NC columns of B)            B block  K x NC  packed into NR-wide panels, every k block (shared, L3)
 *     parallel for pieces of rows       A block  MC x KC  packed into MR-row panels interleaved along k (L2)
 *       for pc (KC of the k dim)
 *         for each MR x NR tile: micro-kernel over KC   (B panel KC x NR in L1, A panel MR x KC beside it)
 * </pre>
 * Transposed operands are read in place while packing; no transposed copy is made.
 * F64 takes a simpler row-parallel path: it serves gradient checks and reference runs, not speed.
 */
final class Gemm {
    // Block sizes from interleaved sweeps in one JVM (GemmBlockSweep: Gemm instances side by side, 12 rounds, medians).
    // With the 8x2 kernel on 2 cores of an AMD EPYC (Zen 5, ~215 GFLOP/s per core, 1 MiB L2), KC 1024 / MC 120 against
    // 512 / 120: 1024^2 350 vs 338 GFLOP/s, [128,784]x[512,784]^T 217 vs 197, the seed MLP's [1000,784]x[200,784]^T
    // 263-279 vs 256-273 and [1000,200]^T x [1000,784] 254 vs 249, 512^2 and [512,128]^T x [512,784] equal; 512 / 120 had
    // in turn beaten 256 / 240 by 2-8% on every shape. A KC x NR panel of B (128 KiB) then streams from L2, beside the
    // MC x KC block of A (480 KiB). With the 12x2 kernel on 2 Intel Xeon cores (Sapphire Rapids) 1024 / 120, 512 / 120,
    // 512 / 240 and 256 / 240 were within 5% of each other on 1024^2 and the MLP's shapes (252-256 GFLOP/s at 1024^2).
    /** Most depth of a packed block (k is cut into equal blocks of at most this). Property tessera.gemm.kc. */
    static final int KC = Integer.getInteger("tessera.gemm.kc", 1024);
    /** Rows of A in one block (rounded down to a multiple of MR): MC x KC floats (480 KiB) stay in L2. Property tessera.gemm.mc. */
    static final int MC = Integer.getInteger("tessera.gemm.mc", 120);
    /** Columns of B packed at once: KC x NC floats (16 MiB at KC 1024) stay in L3. Property tessera.gemm.nc. */
    static final int NC = Integer.getInteger("tessera.gemm.nc", 4096);
    /** Below this many multiply-adds a product runs on the calling thread. */
    static final long SERIAL_FLOPS = Long.getLong("tessera.gemm.serialFlops", 1L << 18);
    /** Whether products with no more rows than columns split B's panels between threads, each packing its own (see gemm32). */
    static final boolean PRIVATE_PANELS = !"false".equals(System.getProperty("tessera.gemm.privatePanels"));

    private final Parallel parallel;
    /** The micro-kernel of each product: read once per product, so that a kernel promoted meanwhile (see
     * {@link KernelPromotion}) takes over at the next one. */
    private final Supplier<MicroKernel> kernels;
    private final int kcMax, mcWanted;
    /** The blocked path for the last kernel used (kernels change at most once per process). */
    private volatile Blocked blocked;
    /** Per thread: packed A, a scratch tile for edge tiles, the shared packed B (reused), whatever the kernel. */
    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[0]});

    /** On the backend's kernel of the moment ({@link SimdSupport#kernel()}). */
    Gemm(Parallel parallel) {
        this(parallel, SimdSupport::kernel, KC, MC);
    }

    /** On one kernel only (tests, sweeps). */
    Gemm(Parallel parallel, MicroKernel kernel) {
        this(parallel, kernel, KC, MC);
    }

    /** With other block sizes than the properties' (to compare them in one JVM). */
    Gemm(Parallel parallel, MicroKernel kernel, int kc, int mc) {
        this(parallel, () -> kernel, kc, mc);
    }

    private Gemm(Parallel parallel, Supplier<MicroKernel> kernels, int kc, int mc) {
        this.parallel = parallel;
        this.kernels = kernels;
        this.kcMax = kc;
        this.mcWanted = mc;
    }

    private Blocked blocked() {
        MicroKernel k = kernels.get();
        Blocked b = blocked;
        if (b == null || b.kernel != k) blocked = b = new Blocked(k);
        return b;
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
        boolean empty = k == 0 || m == 0 || n == 0 || alpha == 0;
        // F32 with beta = 0 overwrites C in its first k block (no pass that zeroes C first)
        if (c instanceof float[] cf && !empty) {
            if (beta != 0 && beta != 1) scaleC(c, co, ldc, m, n, beta);
            if (m == 1 || n == 1 || k == 1) thin32(a, b, cf, co, ldc, item, m, n, k, (float) alpha, beta != 0, serial);
            else blocked().gemm32(a, b, cf, co, ldc, item, m, n, k, (float) alpha, beta != 0, serial);
            return;
        }
        scaleC(c, co, ldc, m, n, beta);
        if (!empty) gemm64(a, b, (double[]) c, co, ldc, item, m, n, k, alpha, serial);
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

    // ---- F32: one row, one column or depth 1, without packing ----

    /**
     * Products that are a matrix-vector product (m or n is 1) or an outer product (k is 1), such as an MLP's output
     * layer of one unit: memory-bound, so straight over the operands (packing them into 16-column panels did 16x the
     * work for n = 1: 278 us for a [1000, 200] x [200, 1] product). Dot products where the matrix's rows run along k,
     * axpy over its rows where they run along the output; outputs split over the threads.
     */
    private void thin32(Matrix a, Matrix b, float[] c, int co, int ldc, int item, int m, int n, int k, float alpha,
                        boolean add, boolean serial) {
        float[] ad = (float[]) a.data, bd = (float[]) b.data;
        RowKernels rows = SimdSupport.rows();
        int threads = serial ? 1 : parallel.threads();
        if (k == 1) {               // C[i, j] (+)= alpha A[i, 0] B[0, j]
            float[] bRow = gatherVector(bd, b, item, false, n);
            forShares(m, threads, n, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int row = co + i * ldc;
                    if (!add) java.util.Arrays.fill(c, row, row + n, 0f);
                    rows.axpy(alpha * ad[a.at(item, i, 0)], bRow, 0, c, row, n);
                }
            });
        } else if (n == 1) {        // C[i, 0] (+)= alpha A[i, :] . B[:, 0]
            float[] col = gatherVector(bd, b, item, true, k);
            if (!a.trans) {
                forShares(m, threads, k, (from, to) -> {
                    for (int i = from; i < to; i++) set(c, co + i * ldc, alpha * (float) rows.dot(ad, a.at(item, i, 0), col, 0, k), add);
                });
            } else {                // A stored [K, M]: its stored rows run along the output
                forShares(m, threads, k, (from, to) -> {
                    float[] acc = new float[to - from];
                    for (int kk = 0; kk < k; kk++) rows.axpy(col[kk], ad, a.at(item, from, kk), acc, 0, to - from);
                    for (int i = from; i < to; i++) set(c, co + i * ldc, alpha * acc[i - from], add);
                });
            }
        } else {                    // m == 1: C[0, j] (+)= alpha A[0, :] . B[:, j]
            float[] row = gatherVector(ad, a, item, false, k);
            if (b.trans) {          // B stored [N, K]: its stored rows run along k
                forShares(n, threads, k, (from, to) -> {
                    for (int j = from; j < to; j++) set(c, co + j, alpha * (float) rows.dot(bd, b.at(item, 0, j), row, 0, k), add);
                });
            } else {
                forShares(n, threads, k, (from, to) -> {
                    float[] acc = new float[to - from];
                    for (int kk = 0; kk < k; kk++) rows.axpy(row[kk], bd, b.at(item, kk, from), acc, 0, to - from);
                    for (int j = from; j < to; j++) set(c, co + j, alpha * acc[j - from], add);
                });
            }
        }
    }

    private static void set(float[] c, int at, float v, boolean add) {
        c[at] = add ? c[at] + v : v;
    }

    /** Row 0 of op(X) ({@code column} false: the {@code len} elements (0, j)) or column 0 (true: (i, 0)), contiguous. */
    private static float[] gatherVector(float[] data, Matrix x, int item, boolean column, int len) {
        float[] v = new float[len];
        for (int i = 0; i < len; i++) v[i] = data[column ? x.at(item, i, 0) : x.at(item, 0, i)];
        return v;
    }

    /** Splits {@code outputs} over the threads when each share has enough work ({@code work} per output). */
    private void forShares(int outputs, int threads, int work, Parallel.RangeBody body) {
        if (threads == 1 || (long) outputs * work < 2 * SERIAL_FLOPS) body.run(0, outputs);
        else parallel.forRange(outputs, Math.max(1, (int) (SERIAL_FLOPS / Math.max(1, work))), body);
    }

    // ---- F32: blocked, packed, micro-kernel ----

    /** The blocked product on one micro-kernel: its tile sizes fix the packing and the blocks of A. */
    private final class Blocked {
        final MicroKernel kernel;
        /** Rows of A in one block: MC rounded down to whole tiles. */
        final int mc;

        Blocked(MicroKernel kernel) {
            this.kernel = kernel;
            this.mc = Math.max(kernel.mr(), mcWanted / kernel.mr() * kernel.mr());
        }


        /**
         * {@code C (+)= alpha op(A) op(B)}: C is accumulated into when {@code accumulate}, else overwritten by the first
         * k block. Per block of NC columns: B is packed whole (all its k blocks, by all threads), then the threads take
         * pieces of the rows (each packing only its own A, where A needs packing) or, for products with few rows, of the B
         * panels, and run through every k block of them. Two hand-offs per product, whatever k is: a hand-off per k block cost more than
         * the work in the MLP's products (128 rows).
         * <p>Products with no more rows than columns take one hand-off instead: each thread packs the panels of B it
         * multiplies, and all of A. No packed data then crosses from one core to the other, which on 2 cores of an AMD EPYC
         * (Zen 5, ~215 GFLOP/s per core) cost more than packing A twice (2 threads, shared B with rows split against
         * private panels): [64,256]x[256,256]^T 81 -> 53 us, [128,784]x[512,784]^T 556 -> 425 us, [128,512]x[256,512]^T
         * 198 -> 124 us, 512^3 270 -> 305 GFLOP/s, 1024^3 285-309 -> 323-342, [512,784]x[2048,784]^T 228 -> 278,
         * [1000,200]^T x [1000,784] 240 -> 292; square tn shapes of 2048 within noise. With more rows than columns A's
         * second packing outweighs it: [1000,784]x[200,784]^T 225 -> 200 GFLOP/s, [1000,200]x[200,784] 295 -> 270, so those
         * keep the shared B. On 2 cores of an Intel Xeon (Sapphire Rapids, AVX-512) it wins too, 3 runs each: 512^3 94-111 ->
         * 133-143 GFLOP/s, [200,1000]^T x [1000,784] 137-159 -> 164-194, [128,784]x[512,784]^T 129-145 -> 147-159. (An earlier
         * form of this mode, with a 12x2 kernel no longer in the tree, had lost on a Xeon: 96 vs 133 GFLOP/s for
         * [200, 1000] x [1000, 784].) Property tessera.gemm.privatePanels=false turns it off.
         */
        private void gemm32(Matrix a, Matrix b, float[] c, int co, int ldc, int item, int m, int n, int k, float alpha,
                            boolean accumulate, boolean serial) {
            int mr = kernel.mr(), nr = kernel.nr();
            float[] ad = (float[]) a.data, bd = (float[]) b.data;
            int threads = serial ? 1 : parallel.threads();
            int rowTiles = (m + mr - 1) / mr;
            // k blocks of equal depth (784 = 4 x 196, not 3 x 256 + 16)
            int kBlocks = (k + kcMax - 1) / kcMax, kc = (k + kBlocks - 1) / kBlocks;
            for (int jc = 0; jc < n; jc += NC) {
                int nc = Math.min(NC, n - jc);
                int panels = (nc + nr - 1) / nr, width = panels * nr;
                int jc0 = jc;
                float[] bp = packedB(k * width);
                // block q holds depths [q kc, q kc + depth(q)) at bp[q kc width], panel p of it at + p depth(q) nr
                if (PRIVATE_PANELS && threads > 1 && panels >= threads && m <= nc) {
                    // each thread packs the panels of B it multiplies, and all of A: one hand-off, no packed data shared
                    parallel.forRange(panels, Math.max(1, panels / threads), (from, to) -> {
                        packPanels(b, bd, item, from, to, k, kc, kBlocks, jc0, nc, width, bp);
                        share(a, ad, item, 0, m, from, to, k, kc, jc0, nc, width, bp, c, co, ldc, alpha, accumulate);
                    });
                    continue;
                }
                Parallel.RangeBody packB;
                int packWork;
                if (b.trans) {          // stored [N, K]: a panel's columns are rows of the stored matrix, read in k
                    packWork = kBlocks * panels;
                    packB = (from, to) -> {
                        for (int w = from; w < to; w++) {
                            int q = w / panels, p = w % panels, pc = q * kc, depth = Math.min(kc, k - pc);
                            kernel.packTransposedB(bd, b.at(item, pc, jc0 + p * nr), b.ld, depth, Math.min(nr, nc - p * nr), bp, pc * width + p * depth * nr);
                        }
                    };
                } else {                // row-major: read each row of B once, front to back, into every panel
                    packWork = k;
                    packB = (from, to) -> packB(b, bd, item, from, to, jc0, nc, bp, kc, k, 0, panels);
                }
                if (threads == 1) packB.run(0, packWork);
                else parallel.forRange(packWork, 4, packB);
                // one piece of row tiles per thread while every thread gets at least two tiles, else pieces of B's panels.
                // Rows are not cut finer: on 2 cores of an AMD EPYC (Zen 5, ~215 GFLOP/s per core) four pieces per thread,
                // claimed one by one, ran 1024^2 at 264-271 GFLOP/s against 318-329 for one piece per thread, 512^2 at
                // 221-241 against 286-298 (the same blocks of A either way; the MLP's shapes within noise).
                Parallel.RangeBody body;
                int units;
                if (rowTiles >= 2 * threads || panels == 1) {
                    units = rowTiles;
                    body = (from, to) -> share(a, ad, item, from * mr, Math.min(m, to * mr), 0, panels, k, kc, jc0, nc, width, bp, c, co, ldc, alpha, accumulate);
                } else {
                    units = panels;
                    body = (from, to) -> share(a, ad, item, 0, m, from, to, k, kc, jc0, nc, width, bp, c, co, ldc, alpha, accumulate);
                }
                // at least 4 row tiles (or 2 panels) a piece, so that each packed panel of B serves several tiles from L1
                if (threads == 1) body.run(0, units);
                else parallel.forRange(units, units == rowTiles ? Math.max(4, rowTiles / threads) : 2, body);
            }
        }

        /** Panels [p0, p1) of B's columns jc.. jc + nc, every k block, into their places in {@code bp} (as gemm32 lays them out). */
        private void packPanels(Matrix b, float[] bd, int item, int p0, int p1, int k, int kc, int kBlocks, int jc, int nc, int width, float[] bp) {
            int nr = kernel.nr();
            if (b.trans) {
                for (int q = 0; q < kBlocks; q++) {
                    int pc = q * kc, depth = Math.min(kc, k - pc);
                    for (int p = p0; p < p1; p++) {
                        kernel.packTransposedB(bd, b.at(item, pc, jc + p * nr), b.ld, depth, Math.min(nr, nc - p * nr), bp, pc * width + p * depth * nr);
                    }
                }
            } else {
                packB(b, bd, item, 0, k, jc, nc, bp, kc, k, p0, p1);
            }
        }

        /**
         * The calling thread's buffer for the packed B (the pool's threads read it during the product): reused, since a
         * fresh array per product cost a zeroing pass as large as the packing itself.
         */
        private float[] packedB(int size) {
            float[][] own = scratch.get();
            if (own[2].length < size) own[2] = new float[size];
            return own[2];
        }

        /**
         * Rows [r0, r1) of C against panels [p0, p1) of the packed B, in blocks of at most MC rows and one k block at a
         * time; each block of A is packed first (see {@link #packA}).
         */
        private void share(Matrix a, float[] ad, int item, int r0, int r1, int p0, int p1, int k, int kcFull, int jc, int nc,
                           int width, float[] bp, float[] c, int co, int ldc, float alpha, boolean accumulate) {
            int mr = kernel.mr();
            // equal blocks of whole tiles, at most MC rows (132 rows: 72 + 60, not 120 + 12)
            int tiles = (r1 - r0 + mr - 1) / mr, blocks = (tiles * mr + mc - 1) / mc, step = (tiles + blocks - 1) / blocks * mr;
            for (int ic = r0; ic < r1; ic += step) {
                int rows = Math.min(step, r1 - ic);
                for (int pc = 0; pc < k; pc += kcFull) {
                    int kc = Math.min(kcFull, k - pc);
                    float[] ap = packedA(rows, kc);
                    packA(a, ad, item, ic, rows, pc, kc, ap, mr, alpha);
                    tiles(ap, rows, kc, ic, bp, pc * width, p0, p1, jc, nc, c, co, ldc, accumulate || pc > 0);
                }
            }
        }

        /** The calling thread's scratch tile, {@code size} floats. */
        private float[] tile(int size) {
            float[][] own = scratch.get();
            if (own[1].length != size) own[1] = new float[size];
            return own[1];
        }

        /** The calling thread's buffer for a packed block of A of {@code rows} x {@code kc} (rows rounded up to MR). */
        private float[] packedA(int rows, int kc) {
            float[][] own = scratch.get();
            int size = (rows + kernel.mr() - 1) / kernel.mr() * kernel.mr() * kc;
            if (own[0].length < size) own[0] = new float[size];
            return own[0];
        }

        /**
         * The micro-kernel over one packed block of A ({@code rows} rows from C's row {@code ic}, panel t at
         * {@code ap[t MR kc]}) and panels [p0, p1) of a packed block of B, panel p at {@code bBase + p kc NR}. Edge tiles
         * go through the scratch tile, which starts from C's values when adding to them, so that every element of C is
         * the same chain of fused multiply-adds whatever the tile shape: the product does not depend on the kernel
         * chosen, nor on where the edges fall (KernelAgreementTest).
         */
        private void tiles(float[] ap, int rows, int kc, int ic, float[] bp, int bBase, int p0, int p1,
                           int jc, int nc, float[] c, int co, int ldc, boolean add) {
            int mr = kernel.mr(), nr = kernel.nr();
            float[] tile = tile(mr * nr);
            for (int p = p0; p < p1; p++) {
                int cols = Math.min(nr, nc - p * nr), bo = bBase + p * kc * nr;
                for (int ir = 0; ir < rows; ir += mr) {
                    int at = co + (ic + ir) * ldc + jc + p * nr, tileRows = Math.min(mr, rows - ir), ao = ir * kc;
                    if (tileRows == mr && cols == nr) {
                        kernel.run(ap, ao, bp, bo, kc, c, at, ldc, add);
                        continue;
                    }
                    // an edge tile: C's valid part into the scratch tile, computed whole there, its valid part stored back
                    if (add) {
                        java.util.Arrays.fill(tile, 0f);
                        for (int r = 0; r < tileRows; r++) System.arraycopy(c, at + r * ldc, tile, r * nr, cols);
                    }
                    kernel.run(ap, ao, bp, bo, kc, tile, 0, nr, add);
                    for (int r = 0; r < tileRows; r++) System.arraycopy(tile, r * nr, c, at + r * ldc, cols);
                }
            }
        }

        /**
         * Packs rows ic..ic+rows, depth pc..pc+kc of op(A) into panels of MR rows interleaved along k (panel t at
         * {@code ap[t MR kc]}, element (r, kk) at {@code + kk MR + r}), zero rows after the last, so that the kernel reads
         * MR adjacent floats per k step. Reading a row-major A in place instead (MR streams, a row apart) was slower: with
         * a 12-row kernel 168 against 189 GFLOP/s at lda 1024, 187 against 199 at lda 256 (one Xeon core, L2-resident).
         * A row-major A is transposed by the kernel's {@link MicroKernel#packRows}; a transposed A's panel rows are adjacent per k. Alpha
         * is applied here, once per element of A, rather than in the kernel (whose size C1 must be able to compile).
         */
        private void packA(Matrix a, float[] ad, int item, int ic, int rows, int pc, int kc, float[] ap, int mr, float alpha) {
            if (!a.trans) kernel.packRows(ad, a.at(item, ic, pc), a.ld, kc, rows, ap, 0);
            for (int r0 = 0; r0 < rows; r0 += mr) {
                int valid = Math.min(mr, rows - r0), at = r0 * kc;
                if (a.trans) {
                    // A transposed (the weight gradients dW = dy^T x): the panel's mr values at one k are contiguous,
                    // one row of A per k, so arraycopy (an intrinsic: a vector move) instead of an element loop. On Zen 5,
                    // one thread: [256,64]^T x [64,64] 93 -> 110-115 GFLOP/s; products with more columns equal (noise).
                    for (int kk = 0; kk < kc; kk++) {
                        int src = a.at(item, ic + r0, pc + kk), dst = at + kk * mr;
                        System.arraycopy(ad, src, ap, dst, valid);
                        if (valid < mr) java.util.Arrays.fill(ap, dst + valid, dst + mr, 0f);
                    }
                }
                if (alpha != 1) {
                    for (int i = at, end = at + mr * kc; i < end; i++) ap[i] *= alpha;
                }
            }
        }

        /**
         * Packs rows {@code from .. to} of a row-major B (columns j0..j0+nc) into the NR-wide panels of their k blocks (of
         * depth {@code kc}, the last one shorter), zero-padding the last panel. Each row of B is read once, sequentially:
         * packing panel by panel read B in a column of cache lines, one page apart per row.
         */
        private void packB(Matrix b, float[] bd, int item, int from, int to, int j0, int nc, float[] bp, int kc, int k, int p0, int p1) {
            int nr = kernel.nr(), panels = (nc + nr - 1) / nr, width = panels * nr;
            for (int kk = from; kk < to; kk++) {
                int q = kk / kc, pc = q * kc, depth = Math.min(kc, k - pc), src = b.at(item, kk, j0);
                int blockStart = pc * width + (kk - pc) * nr;
                for (int p = p0; p < p1; p++) {
                    int dst = blockStart + p * depth * nr, cols = Math.min(nr, nc - p * nr);
                    if (cols == nr) {
                        kernel.copyPanelRow(bd, src + p * nr, bp, dst);
                    } else {
                        System.arraycopy(bd, src + p * nr, bp, dst, cols);
                        java.util.Arrays.fill(bp, dst + cols, dst + nr, 0f);
                    }
                }
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
