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
                    Partial p = reduceRow(op, xs, s, s.base(0, o, x.offset()), 0, s.rowLength, buf);
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
                        parts[p] = reduceRow(op, xs, s, xBase, a, b, buf);
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

    private static Partial reduceRow(ReduceOp op, Object xs, RowSplit s, int base, int from, int to, double[] buf) {
        boolean sum = !op.picks();
        if (sum && xs instanceof float[] f && s.rowShape.length == 1 && s.rowStrides[0][0] == 1) {
            // a dense F32 row: read the floats directly, four independent double accumulators (one chain of
            // dependent adds ran at ~5 GB/s; this streams at memory speed)
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int i = base + from, end = base + to;
            for (; i + 3 < end; i += 4) {
                a0 += f[i];
                a1 += f[i + 1];
                a2 += f[i + 2];
                a3 += f[i + 3];
            }
            for (; i < end; i++) a0 += f[i];
            return new Partial((a0 + a1) + (a2 + a3), from);
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

    // ---- softmax ----

    void softmax(Strided x, int dim, boolean log, Strided out) {
        RowSplit s = RowSplit.of(new int[] {dim}, x, out);
        Object xs = CpuBackend.array(x), os = CpuBackend.array(out);
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

    /**
     * Forward (dLogits null): {@code perRow[n] = lse(row) - row[label]}. Backward: {@code dLogits[n] = perRow[n] *
     * (softmax(row) - onehot(label))}, where perRow holds the upstream gradient. Rows are [N, C] logits.
     */
    void crossEntropy(Strided logits, Strided labels, Strided perRow, Strided dLogits) {
        RowSplit s = dLogits == null ? RowSplit.of(new int[] {1}, logits, logits) : RowSplit.of(new int[] {1}, logits, dLogits);
        Object ls = CpuBackend.array(logits), lab = CpuBackend.array(labels), pr = CpuBackend.array(perRow);
        Object dx = dLogits == null ? null : CpuBackend.array(dLogits);
        int len = s.rowLength;
        parallel.forRange(s.outputs, Math.max(1, GRAIN / Math.max(1, len)), (from, to) -> {
            double[] row = new double[len];
            for (int n = from; n < to; n++) {
                Chunks.read(ls, s.rowShape, s.rowStrides[0], s.base(0, n, logits.offset()), 0, len, row);
                double max = Double.NEGATIVE_INFINITY;
                for (double v : row) max = Math.max(max, v);
                double sum = 0;
                for (double v : row) sum += Math.exp(v - max);
                int label = ((int[]) lab)[labels.offset() + n * labels.strides()[0]];
                int at = perRow.offset() + n * perRow.strides()[0];
                if (dx == null) {
                    Chunks.set(pr, at, max + Math.log(sum) - row[label]);
                    continue;
                }
                double g = Chunks.get(pr, at);
                for (int c = 0; c < len; c++) row[c] = g * (Math.exp(row[c] - max) / sum - (c == label ? 1 : 0));
                Chunks.write(dx, s.rowShape, s.rowStrides[1], s.base(1, n, dLogits.offset()), 0, len, row);
            }
        });
    }
}
