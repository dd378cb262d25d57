package org.tessera.cpu;

import org.tessera.backend.ReduceOp;
import org.tessera.backend.RowSplit;
import org.tessera.backend.Strided;

/**
 * Reductions and row-wise fused ops (softmax). The input is split into kept dims (one output element per
 * position) and reduced dims (a "row"). Work is spread over outputs when there are enough of them, and
 * within each row otherwise (a full sum of a large tensor). Accumulation is in double.
 */
final class Reductions {

    /** Input elements per parallel piece: the elementwise grain, as both stream memory at the same rate. */
    private static final int GRAIN = CpuBackend.ELEMENTWISE_GRAIN;

    private final Parallel parallel;
    private final RowKernels rows = SimdSupport.rows();

    Reductions(Parallel parallel) {
        this.parallel = parallel;
    }

    void reduce(ReduceOp op, Strided x, Strided out) {
        int[] rowDims = RowSplit.reducedDims(x, out);
        RowSplit s = RowSplit.of(rowDims, x, out);
        Object xs = CpuBackend.array(x), os = CpuBackend.array(out);
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && s.keptShape.length > 0 && s.rowLength > 0
                && s.keptStrides[0][s.keptShape.length - 1] == 1 && s.keptShape[s.keptShape.length - 1] > 1
                && (rowDims.length == 0 || rowDims[rowDims.length - 1] != x.rank() - 1)) {
            sumColumns(op, x, out, s, xs, os);
            return;
        }
        if (s.outputs >= 2 * parallel.threads() || (long) s.rowLength < 2L * GRAIN) {
            int grain = Math.max(1, GRAIN / Math.max(1, s.rowLength));
            parallel.forRange(s.outputs, grain, (from, to) -> {
                double[] buf = new double[Math.min(CpuBackend.CHUNK, Math.max(1, s.rowLength))];
                for (int o = from; o < to; o++) {
                    Partial p = reduceRow(op, xs, s, s.base(0, o, x.offset()), 0, s.rowLength, buf, rows);
                    Chunks.set(os, s.base(1, o, out.offset()), p.result(op, s.rowLength));
                }
            });
        } else {
            for (int o = 0; o < s.outputs; o++) {
                int xBase = s.base(0, o, x.offset());
                int pieces = Math.min(parallel.threads() * 4, s.rowLength / GRAIN);
                Partial[] parts = new Partial[pieces];
                parallel.forRange(pieces, 1, (from, to) -> {
                    double[] buf = new double[CpuBackend.CHUNK];
                    for (int p = from; p < to; p++) {
                        int a = (int) ((long) s.rowLength * p / pieces), b = (int) ((long) s.rowLength * (p + 1) / pieces);
                        parts[p] = reduceRow(op, xs, s, xBase, a, b, buf, rows);
                    }
                });
                Partial total = parts[0];
                for (int p = 1; p < pieces; p++) total = total.combine(op, parts[p]);
                Chunks.set(os, s.base(1, o, out.offset()), total.result(op, s.rowLength));
            }
        }
    }

    /** Columns summed per block: 1024 doubles of accumulators stay in L1 while rows stream through. */
    private static final int COLUMN_BLOCK = 1024;

    /**
     * Sums over leading dims when the innermost dim is kept and contiguous (e.g. a bias gradient, the sum over
     * the batch of a [B, N] tensor): instead of walking each output's strided column, whole rows are added into
     * a block of accumulators, so memory is read in order. Parallel over (outer outputs x column blocks).
     */
    private void sumColumns(ReduceOp op, Strided x, Strided out, RowSplit s, Object xs, Object os) {
        int last = s.keptShape.length - 1;
        int inner = s.keptShape[last];
        int outer = s.outputs / inner;
        if (xs instanceof float[] xf && s.rowShape.length == 1) {
            denseColumnSums(op, xf, x, out, s, os, inner, outer);
            return;
        }
        int blocks = (inner + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        int work = outer * blocks;
        parallel.forRange(work, Math.max(1, GRAIN / Math.max(1, s.rowLength * Math.min(inner, COLUMN_BLOCK))), (from, to) -> {
            double[] acc = new double[Math.min(inner, COLUMN_BLOCK)];
            double[] row = new double[acc.length];
            int[] idx = new int[s.rowShape.length];
            for (int w = from; w < to; w++) {
                int o = (w / blocks) * inner, c0 = (w % blocks) * COLUMN_BLOCK, len = Math.min(COLUMN_BLOCK, inner - c0);
                int xBase = s.base(0, o + c0, x.offset());
                java.util.Arrays.fill(acc, 0, len, 0);
                java.util.Arrays.fill(idx, 0);
                int rowOffset = 0;
                for (int r = 0; r < s.rowLength; r++) {
                    Chunks.readDense(xs, xBase + rowOffset, len, row);
                    for (int j = 0; j < len; j++) acc[j] += row[j];
                    for (int d = idx.length - 1; d >= 0; d--) {          // step the row odometer
                        rowOffset += s.rowStrides[0][d];
                        if (++idx[d] < s.rowShape[d]) break;
                        rowOffset -= s.rowShape[d] * s.rowStrides[0][d];
                        idx[d] = 0;
                    }
                }
                int outBase = s.base(1, o + c0, out.offset()), outStride = s.keptStrides[1][last];
                for (int j = 0; j < len; j++) Chunks.set(os, outBase + j * outStride, op == ReduceOp.MEAN ? acc[j] / s.rowLength : acc[j]);
            }
        });
    }

    /** Columns per piece of an F32 column sum: 256 (1 KiB of a row) so a [128, 512] bias gradient is 2 pieces. */
    private static final int F32_COLUMN_BLOCK = 256;

    /**
     * F32 column sums over one reduced dim (rows {@code s.rowStrides[0][0]} apart): each piece takes a block of
     * columns and streams every row through {@link RowKernels#columnSums}; pieces over (outer, column block).
     */
    private void denseColumnSums(ReduceOp op, float[] xf, Strided x, Strided out, RowSplit s, Object os, int inner, int outer) {
        int last = s.keptShape.length - 1, ld = s.rowStrides[0][0], rowsN = s.rowLength;
        int blocks = (inner + F32_COLUMN_BLOCK - 1) / F32_COLUMN_BLOCK;
        parallel.forRange(outer * blocks, Math.max(1, GRAIN / Math.max(1, rowsN * Math.min(inner, F32_COLUMN_BLOCK))), (from, to) -> {
            double[] acc = new double[Math.min(inner, F32_COLUMN_BLOCK)];
            for (int w = from; w < to; w++) {
                int o = (w / blocks) * inner, c0 = (w % blocks) * F32_COLUMN_BLOCK, len = Math.min(F32_COLUMN_BLOCK, inner - c0);
                java.util.Arrays.fill(acc, 0, len, 0);
                rows.columnSums(xf, s.base(0, o + c0, x.offset()), ld, rowsN, len, acc);
                int outBase = s.base(1, o + c0, out.offset()), outStride = s.keptStrides[1][last];
                for (int j = 0; j < len; j++) Chunks.set(os, outBase + j * outStride, op == ReduceOp.MEAN ? acc[j] / rowsN : acc[j]);
            }
        });
    }

    /** A partial reduction of part of a row: a sum, or the best value and its (row-flat) index. */
    private record Partial(double value, int index) {
        Partial combine(ReduceOp op, Partial later) {
            return switch (op) {
                case SUM, MEAN -> new Partial(value + later.value, 0);
                // ties and NaN keep the earlier element, as the serial scan does
                // values of MIN/ARGMIN are held negated (see ReduceOp.sign)
                default -> later.value > value || (Double.isNaN(later.value) && !Double.isNaN(value)) ? later : this;
            };
        }

        double result(ReduceOp op, int n) {
            return switch (op) {
                case SUM, MAX -> value;
                case MIN -> -value;
                case MEAN -> value / n;
                case ARGMAX, ARGMIN -> index;
            };
        }
    }

    private static Partial reduceRow(ReduceOp op, Object xs, RowSplit s, int base, int from, int to, double[] buf, RowKernels rows) {
        boolean sum = !op.picks();
        if (sum && xs instanceof float[] f && contiguousRow(s)) {
            return new Partial(rows.sum(f, base + from, to - from), from);     // a dense F32 row: read in place
        }
        double sign = op.sign();
        double acc = sum ? 0 : Double.NEGATIVE_INFINITY;
        int best = from;
        boolean nan = false;
        for (int c = from; c < to; c += buf.length) {
            int n = Math.min(buf.length, to - c);
            Chunks.read(xs, s.rowShape, s.rowStrides[0], base, c, n, buf);
            if (sum) {
                for (int i = 0; i < n; i++) acc += buf[i];
            } else {
                for (int i = 0; i < n; i++) {
                    double v = sign * buf[i];
                    if (nan) break;
                    if (v > acc || Double.isNaN(v)) {
                        acc = v;
                        best = c + i;
                        nan = Double.isNaN(v);
                    }
                }
            }
        }
        return new Partial(acc, best);
    }

    /**
     * Whether operand 0's row is one contiguous run of memory in row-flat order (a full sum of a dense tensor reduces
     * a row of all its dims: it went element by element through the strided reader, 30 us for 16K floats).
     */
    private static boolean contiguousRow(RowSplit s) {
        long expected = 1;
        for (int d = s.rowShape.length - 1; d >= 0; d--) {
            if (s.rowShape[d] != 1 && s.rowStrides[0][d] != expected) return false;
            expected *= s.rowShape[d];
        }
        return true;
    }

    // ---- softmax ----

    /** Whether every operand's row is dense (stride 1) F32: the row kernels then run on the arrays in place. */
    private static boolean denseRows(RowSplit s, Object... arrays) {
        for (Object a : arrays) if (!(a instanceof float[])) return false;
        for (int[] st : s.rowStrides) if (st[0] != 1) return false;
        return true;
    }

    void softmax(Strided x, int dim, boolean log, Strided out) {
        RowSplit s = RowSplit.of(new int[] {dim}, x, out);
        Object xs = CpuBackend.array(x), os = CpuBackend.array(out);
        if (denseRows(s, xs, os)) {      // F32 rows: exp(x - max) / sum, or x - max - log(sum), as PyTorch, in float
            float[] xf = (float[]) xs, of = (float[]) os;
            int len = s.rowLength;
            parallel.forRange(s.outputs, Math.max(1, GRAIN / Math.max(1, len)), (from, to) -> {
                for (int o = from; o < to; o++) {
                    int xb = s.base(0, o, x.offset()), ob = s.base(1, o, out.offset());
                    float max = rows.max(xf, xb, len);
                    double sum = rows.sumExp(xf, xb, len, max);
                    if (log) rows.subtract(xf, xb, len, max, (float) Math.log(sum), of, ob);
                    else rows.expScaled(xf, xb, len, max, (float) (1 / sum), of, ob);
                }
            });
            return;
        }
        parallel.forRange(s.outputs, Math.max(1, GRAIN / Math.max(1, s.rowLength)), (from, to) -> {
            double[] row = new double[s.rowLength];
            for (int o = from; o < to; o++) {
                Chunks.read(xs, s.rowShape, s.rowStrides[0], s.base(0, o, x.offset()), 0, s.rowLength, row);
                double max = Double.NEGATIVE_INFINITY;
                for (double v : row) max = Math.max(max, v);
                double sum = 0;
                for (double v : row) sum += Math.exp(v - max);
                if (log) {
                    double lse = max + Math.log(sum);
                    for (int i = 0; i < row.length; i++) row[i] -= lse;
                } else {
                    for (int i = 0; i < row.length; i++) row[i] = Math.exp(row[i] - max) / sum;
                }
                Chunks.write(os, s.rowShape, s.rowStrides[1], s.base(1, o, out.offset()), 0, s.rowLength, row);
            }
        });
    }

    void softmaxBackward(Strided y, Strided dy, int dim, boolean log, Strided dx) {
        RowSplit s = RowSplit.of(new int[] {dim}, y, dy, dx);
        Object ys = CpuBackend.array(y), gs = CpuBackend.array(dy), xs = CpuBackend.array(dx);
        int len = s.rowLength;
        if (denseRows(s, ys, gs, xs)) {
            float[] yf = (float[]) ys, gf = (float[]) gs, xf = (float[]) xs;
            parallel.forRange(s.outputs, Math.max(1, GRAIN / Math.max(1, len)), (from, to) -> {
                for (int o = from; o < to; o++) {
                    int yb = s.base(0, o, y.offset()), gb = s.base(1, o, dy.offset()), xb = s.base(2, o, dx.offset());
                    if (log) rows.subExpScaled(gf, gb, yf, yb, (float) rows.sum(gf, gb, len), xf, xb, len);
                    else rows.mulShifted(yf, yb, gf, gb, (float) rows.dot(gf, gb, yf, yb, len), xf, xb, len);
                }
            });
            return;
        }
        parallel.forRange(s.outputs, Math.max(1, GRAIN / Math.max(1, len)), (from, to) -> {
            double[] yr = new double[len], gr = new double[len];
            for (int o = from; o < to; o++) {
                Chunks.read(ys, s.rowShape, s.rowStrides[0], s.base(0, o, y.offset()), 0, len, yr);
                Chunks.read(gs, s.rowShape, s.rowStrides[1], s.base(1, o, dy.offset()), 0, len, gr);
                if (log) {
                    double sum = 0;
                    for (double g : gr) sum += g;
                    for (int i = 0; i < len; i++) gr[i] -= Math.exp(yr[i]) * sum;
                } else {
                    double dot = 0;
                    for (int i = 0; i < len; i++) dot += gr[i] * yr[i];
                    for (int i = 0; i < len; i++) gr[i] = yr[i] * (gr[i] - dot);
                }
                Chunks.write(xs, s.rowShape, s.rowStrides[2], s.base(2, o, dx.offset()), 0, len, gr);
            }
        });
    }

    // ---- cross-entropy ----

    /** {@code losses[n] = lse(row n) - row n[label n]} of [N, C] logits. */
    void crossEntropy(Strided logits, Strided labels, Strided losses) {
        RowSplit s = RowSplit.of(new int[] {1}, logits, logits);
        Object ls = CpuBackend.array(logits), lab = CpuBackend.array(labels), os = CpuBackend.array(losses);
        int len = s.rowLength;
        parallel.forRange(s.outputs, Math.max(1, GRAIN / Math.max(1, len)), (from, to) -> {
            double[] row = ls instanceof float[] && denseRows(s, ls) ? null : new double[len];
            for (int n = from; n < to; n++) {
                int base = s.base(0, n, logits.offset()), label = label(lab, labels, n);
                double lse, picked;
                if (row == null) {          // dense F32 rows, read in place
                    float[] lf = (float[]) ls;
                    float max = rows.max(lf, base, len);
                    lse = max + Math.log(rows.sumExp(lf, base, len, max));
                    picked = lf[base + label];
                } else {
                    Chunks.read(ls, s.rowShape, s.rowStrides[0], base, 0, len, row);
                    double max = Double.NEGATIVE_INFINITY;
                    for (double v : row) max = Math.max(max, v);
                    double sum = 0;
                    for (double v : row) sum += Math.exp(v - max);
                    lse = max + Math.log(sum);
                    picked = row[label];
                }
                Chunks.set(os, losses.offset() + n * losses.strides()[0], lse - picked);
            }
        });
    }

    /**
     * {@code dLogits[n] = g[n] (softmax(row n) - onehot(label n))}, the softmax as {@code exp(x - lse)} with the row's
     * log-sum-exp taken from the forward: {@code lse = losses[n] + row[label]}. One pass of exp per row; in F32 the
     * lse carries the loss's rounding (half an ulp of the loss: a relative error of ~1e-7 in the softmax at a loss
     * of 2, ~4e-6 at a loss of 100).
     */
    void crossEntropyBackward(Strided logits, Strided labels, Strided losses, Strided dLosses, Strided dLogits) {
        RowSplit s = RowSplit.of(new int[] {1}, logits, dLogits);
        Object ls = CpuBackend.array(logits), lab = CpuBackend.array(labels), lo = CpuBackend.array(losses);
        Object gs = CpuBackend.array(dLosses), dx = CpuBackend.array(dLogits);
        int len = s.rowLength;
        boolean dense = ls instanceof float[] && denseRows(s, ls, dx);
        parallel.forRange(s.outputs, Math.max(1, GRAIN / Math.max(1, len)), (from, to) -> {
            double[] row = dense ? null : new double[len];
            for (int n = from; n < to; n++) {
                int base = s.base(0, n, logits.offset()), db = s.base(1, n, dLogits.offset()), label = label(lab, labels, n);
                double g = Chunks.get(gs, dLosses.offset() + n * dLosses.strides()[0]);
                double loss = Chunks.get(lo, losses.offset() + n * losses.strides()[0]);
                if (dense) {
                    float[] lf = (float[]) ls, df = (float[]) dx;
                    // the row's softmax scaled by g, then g taken off the label's entry
                    rows.expScaled(lf, base, len, (float) (loss + lf[base + label]), (float) g, df, db);
                    df[db + label] -= (float) g;
                    continue;
                }
                Chunks.read(ls, s.rowShape, s.rowStrides[0], base, 0, len, row);
                double lse = loss + row[label];
                for (int c = 0; c < len; c++) row[c] = g * (Math.exp(row[c] - lse) - (c == label ? 1 : 0));
                Chunks.write(dx, s.rowShape, s.rowStrides[1], db, 0, len, row);
            }
        });
    }

    private static int label(Object lab, Strided labels, int n) {
        return ((int[]) lab)[labels.offset() + n * labels.strides()[0]];
    }
}
