package org.tessera.cpu;

import org.tessera.backend.ReduceOp;
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

    /** Kept and reduced dims of x against a keep-dim shaped output (or a single row dim). */
    private static final class Split {
        int[] keptShape, keptX, keptOut;
        int[] rowShape, rowStrides;
        int outputs, rowLength;

        static Split of(Strided x, Strided out, int[] rowDims) {
            int rank = x.rank();
            boolean[] inRow = new boolean[rank];
            for (int d : rowDims) inRow[d] = true;
            Split s = new Split();
            int nk = 0, nr = 0;
            for (int d = 0; d < rank; d++) if (inRow[d]) nr++; else nk++;
            s.keptShape = new int[nk];
            s.keptX = new int[nk];
            s.keptOut = new int[nk];
            s.rowShape = new int[nr];
            s.rowStrides = new int[nr];
            int k = 0, r = 0;
            for (int d = 0; d < rank; d++) {
                if (inRow[d]) {
                    s.rowShape[r] = x.shape()[d];
                    s.rowStrides[r++] = x.strides()[d];
                } else {
                    s.keptShape[k] = x.shape()[d];
                    s.keptX[k] = x.strides()[d];
                    s.keptOut[k++] = out.strides()[d];
                }
            }
            s.outputs = 1;
            for (int v : s.keptShape) s.outputs *= v;
            s.rowLength = 1;
            for (int v : s.rowShape) s.rowLength *= v;
            return s;
        }

        /** Offset of output {@code o}'s row in x ({@code which == 0}) or of its element in out ({@code which == 1}). */
        int base(int o, int start, boolean inOut) {
            int pos = start;
            for (int d = keptShape.length - 1; d >= 0; d--) {
                int i = o % keptShape[d];
                o /= keptShape[d];
                pos += i * (inOut ? keptOut[d] : keptX[d]);
            }
            return pos;
        }
    }

    void reduce(ReduceOp op, Strided x, Strided out) {
        int rank = x.rank();
        int count = 0;
        for (int d = 0; d < rank; d++) if (out.shape()[d] == 1 && x.shape()[d] != 1) count++;
        int[] rowDims = new int[count];
        for (int d = 0, i = 0; d < rank; d++) if (out.shape()[d] == 1 && x.shape()[d] != 1) rowDims[i++] = d;
        Split s = Split.of(x, out, rowDims);
        Object xs = CpuBackend.array(x), os = CpuBackend.array(out);
        if (s.outputs >= 2 * parallel.threads() || (long) s.rowLength < 2L * GRAIN) {
            int grain = Math.max(1, GRAIN / Math.max(1, s.rowLength));
            parallel.forRange(s.outputs, grain, (from, to) -> {
                double[] buf = new double[Math.min(CpuBackend.CHUNK, Math.max(1, s.rowLength))];
                for (int o = from; o < to; o++) {
                    Partial p = reduceRow(op, xs, s, s.base(o, x.offset(), false), 0, s.rowLength, buf);
                    Chunks.set(os, s.base(o, out.offset(), true), p.result(op, s.rowLength));
                }
            });
        } else {
            for (int o = 0; o < s.outputs; o++) {
                int xBase = s.base(o, x.offset(), false);
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
                Chunks.set(os, s.base(o, out.offset(), true), total.result(op, s.rowLength));
            }
        }
    }

    /** A partial reduction of part of a row: a sum, or the best value and its (row-flat) index. */
    private record Partial(double value, int index) {
        Partial combine(ReduceOp op, Partial later) {
            return switch (op) {
                case SUM, MEAN -> new Partial(value + later.value, 0);
                // ties and NaN keep the earlier element, as the serial scan does
                case MAX, ARGMAX -> later.value > value || (Double.isNaN(later.value) && !Double.isNaN(value)) ? later : this;
            };
        }

        double result(ReduceOp op, int n) {
            return switch (op) {
                case SUM, MAX -> value;
                case MEAN -> value / n;
                case ARGMAX -> index;
            };
        }
    }

    private static Partial reduceRow(ReduceOp op, Object xs, Split s, int base, int from, int to, double[] buf) {
        boolean sum = op == ReduceOp.SUM || op == ReduceOp.MEAN;
        double acc = sum ? 0 : Double.NEGATIVE_INFINITY;
        int best = from;
        boolean nan = false;
        for (int c = from; c < to; c += buf.length) {
            int n = Math.min(buf.length, to - c);
            Chunks.read(xs, s.rowShape, s.rowStrides, base, c, n, buf);
            if (sum) {
                for (int i = 0; i < n; i++) acc += buf[i];
            } else {
                for (int i = 0; i < n; i++) {
                    double v = buf[i];
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
        Split s = Split.of(x, out, new int[] {dim});
        Split so = Split.of(out, out, new int[] {dim});
        Object xs = CpuBackend.array(x), os = CpuBackend.array(out);
        parallel.forRange(s.outputs, Math.max(1, GRAIN / Math.max(1, s.rowLength)), (from, to) -> {
            double[] row = new double[s.rowLength];
            for (int o = from; o < to; o++) {
                Chunks.read(xs, s.rowShape, s.rowStrides, s.base(o, x.offset(), false), 0, s.rowLength, row);
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
                Chunks.write(os, so.rowShape, so.rowStrides, so.base(o, out.offset(), false), 0, s.rowLength, row);
            }
        });
    }

    void softmaxBackward(Strided y, Strided dy, int dim, boolean log, Strided dx) {
        Split sy = Split.of(y, y, new int[] {dim});
        Split sg = Split.of(dy, dy, new int[] {dim});
        Split sx = Split.of(dx, dx, new int[] {dim});
        Object ys = CpuBackend.array(y), gs = CpuBackend.array(dy), xs = CpuBackend.array(dx);
        int len = sy.rowLength;
        parallel.forRange(sy.outputs, Math.max(1, GRAIN / Math.max(1, len)), (from, to) -> {
            double[] yr = new double[len], gr = new double[len];
            for (int o = from; o < to; o++) {
                Chunks.read(ys, sy.rowShape, sy.rowStrides, sy.base(o, y.offset(), false), 0, len, yr);
                Chunks.read(gs, sg.rowShape, sg.rowStrides, sg.base(o, dy.offset(), false), 0, len, gr);
                if (log) {
                    double sum = 0;
                    for (double g : gr) sum += g;
                    for (int i = 0; i < len; i++) gr[i] -= Math.exp(yr[i]) * sum;
                } else {
                    double dot = 0;
                    for (int i = 0; i < len; i++) dot += gr[i] * yr[i];
                    for (int i = 0; i < len; i++) gr[i] = yr[i] * (gr[i] - dot);
                }
                Chunks.write(xs, sx.rowShape, sx.rowStrides, sx.base(o, dx.offset(), false), 0, len, gr);
            }
        });
    }
}
