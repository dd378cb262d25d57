package org.tessera.backend;

import java.util.ArrayList;
import java.util.List;
import org.tessera.DType;

/**
 * Gives every backend the 16-bit storage types (F16, BF16) for every op, written once: an op with a 16-bit operand
 * runs on F32 copies of its 16-bit views (converted by the backend's own {@link #copy}), and its 16-bit outputs
 * receive the F32 results, rounded once. So each op computes in F32 as its F32 kernel does, and a result differs
 * from the F32 op's only by that last rounding (PyTorch's CPU kernels for half types do the same). Ops without a
 * 16-bit operand, and the storage primitives (allocate, read, write, copy, fill), which each backend implements
 * for 16-bit buffers itself, go straight through: one dtype test per call.
 *
 * <p>An op that fails leaves its 16-bit outputs as they were: results are written back only after it returns.
 * The F32 copies are the backend's buffers, so they count in its memory statistics while the op runs.
 */
public final class HalfStaging extends ForwardingBackend {

    public HalfStaging(Backend inner) {
        super(inner);
    }

    private static boolean half(Strided... views) {
        for (Strided v : views) if (v != null && v.dtype().isHalf()) return true;
        return false;
    }

    /** The F32 copies of one call: {@link #in} for what the op reads, {@link #out} for what it writes. */
    private final class Stage implements AutoCloseable {
        private final List<Buffer> temporaries = new ArrayList<>();
        private final List<Strided[]> writeBacks = new ArrayList<>();

        private Strided temporary(int[] shape) {
            int n = 1;
            for (int d : shape) n *= d;
            Buffer b = inner.allocate(DType.F32, Math.max(1, n));
            temporaries.add(b);
            return new Strided(b, shape.clone(), Strided.contiguousStrides(shape), 0);
        }

        /**
         * An F32 copy of a view the op reads. The memory the view spans is converted as one dense run and seen with the
         * view's own strides, so a broadcast bias (stride 0) costs its row, not the full shape, and a transposed
         * operand stays transposed (the backends' dense conversion loops run at memory speed, strided ones do not).
         * A view that spans much more than it holds (a column of a wide matrix) is copied element by element instead.
         */
        Strided in(Strided v) {
            if (v == null || !v.dtype().isHalf()) return v;
            long span = span(v);
            if (span < 0 || span > 2L * v.numel() + 1024) {
                Strided t = temporary(v.shape());
                inner.copy(v, t);
                return t;
            }
            Strided run = temporary(new int[] {(int) span});
            inner.copy(new Strided(v.buffer(), new int[] {(int) span}, new int[] {1}, v.offset()), run);
            return new Strided(run.buffer(), v.shape(), v.strides(), 0);
        }

        /** An output; {@code read} when the op also reads it (accumulates into it, or updates it in place). */
        Strided out(Strided v, boolean read) {
            if (v == null || !v.dtype().isHalf()) return v;
            Strided t = temporary(v.shape());
            if (read) inner.copy(v, t);
            writeBacks.add(new Strided[] {t, v});
            return t;
        }

        /** Rounds the results into the 16-bit outputs, through each output's own view; call once the op has returned. */
        void commit() {
            for (Strided[] w : writeBacks) inner.copy(w[0], w[1]);
        }

        @Override
        public void close() {
            for (Buffer b : temporaries) inner.release(b);
        }
    }

    /** Elements from a view's first to its last (offset to the farthest index, plus one); -1 for negative strides or no elements. */
    private static long span(Strided v) {
        if (v.numel() == 0) return -1;
        long last = 0;
        for (int d = 0; d < v.rank(); d++) {
            if (v.strides()[d] < 0) return -1;
            last += (long) (v.shape()[d] - 1) * v.strides()[d];
        }
        return last + 1;
    }

    /** Runs {@code op} on a fresh {@link Stage} and rounds its results into the 16-bit outputs once it returned. */
    private void staged(java.util.function.Consumer<Stage> op) {
        try (Stage s = new Stage()) {
            op.accept(s);
            s.commit();
        }
    }

    // ---- ops: staged when an operand is 16-bit ----

    @Override
    public void unary(UnaryOp op, double p, double q, Strided x, Strided out) {
        if (!half(x, out)) inner.unary(op, p, q, x, out);
        else staged(s -> inner.unary(op, p, q, s.in(x), s.out(out, false)));
    }

    @Override
    public void unaryBackward(UnaryOp op, double p, double q, Strided dy, Strided saved, Strided dx) {
        if (!half(dy, saved, dx)) inner.unaryBackward(op, p, q, dy, saved, dx);
        else staged(s -> inner.unaryBackward(op, p, q, s.in(dy), s.in(saved), s.out(dx, false)));
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        if (!half(a, b, out)) inner.binary(op, a, b, out);
        else staged(s -> inner.binary(op, s.in(a), s.in(b), s.out(out, false)));
    }

    @Override
    public void binaryBackward(BinaryOp op, int input, Strided dy, Strided a, Strided b, Strided out) {
        if (!half(dy, a, b, out)) inner.binaryBackward(op, input, dy, a, b, out);
        else staged(s -> inner.binaryBackward(op, input, s.in(dy), s.in(a), s.in(b), s.out(out, false)));
    }

    @Override
    public void reduce(ReduceOp op, Strided x, Strided out) {
        if (!half(x, out)) inner.reduce(op, x, out);
        else staged(s -> inner.reduce(op, s.in(x), s.out(out, false)));
    }

    @Override
    public void matmul(Strided a, boolean transA, Strided b, boolean transB, Strided out, double alpha, double beta) {
        if (!half(a, b, out)) inner.matmul(a, transA, b, transB, out, alpha, beta);
        else staged(s -> inner.matmul(s.in(a), transA, s.in(b), transB, s.out(out, beta != 0), alpha, beta));
    }

    @Override
    public void softmax(Strided x, int dim, boolean log, Strided out) {
        if (!half(x, out)) inner.softmax(x, dim, log, out);
        else staged(s -> inner.softmax(s.in(x), dim, log, s.out(out, false)));
    }

    @Override
    public void softmaxBackward(Strided y, Strided dy, int dim, boolean log, Strided dx) {
        if (!half(y, dy, dx)) inner.softmaxBackward(y, dy, dim, log, dx);
        else staged(s -> inner.softmaxBackward(s.in(y), s.in(dy), dim, log, s.out(dx, false)));
    }

    @Override
    public void crossEntropy(Strided logits, Strided labels, Strided losses) {
        if (!half(logits, losses)) inner.crossEntropy(logits, labels, losses);
        else staged(s -> inner.crossEntropy(s.in(logits), labels, s.out(losses, false)));
    }

    @Override
    public void crossEntropyBackward(Strided logits, Strided labels, Strided losses, Strided dLosses, Strided dLogits) {
        if (!half(logits, losses, dLosses, dLogits)) inner.crossEntropyBackward(logits, labels, losses, dLosses, dLogits);
        else staged(s -> inner.crossEntropyBackward(s.in(logits), labels, s.in(losses), s.in(dLosses), s.out(dLogits, false)));
    }

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        if (!half(x, out)) inner.gather(x, dim, index, out);
        else staged(s -> inner.gather(s.in(x), dim, index, s.out(out, false)));
    }

    @Override
    public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        if (!half(src, out)) inner.scatterAdd(src, dim, index, out);
        else staged(s -> inner.scatterAdd(s.in(src), dim, index, s.out(out, true)));
    }

    @Override
    public void indexSelect(Strided x, int dim, Strided index, Strided out) {
        if (!half(x, out)) inner.indexSelect(x, dim, index, out);
        else staged(s -> inner.indexSelect(s.in(x), dim, index, s.out(out, false)));
    }

    @Override
    public void random(Strided out, RandomKind kind, long seed, long counter) {
        if (!half(out)) inner.random(out, kind, seed, counter);
        else staged(s -> inner.random(s.out(out, false), kind, seed, counter));
    }

    @Override
    public void dropout(Strided x, double p, long seed, long counter, Strided out, Strided mask) {
        if (!half(x, out, mask)) inner.dropout(x, p, seed, counter, out, mask);
        else staged(s -> inner.dropout(s.in(x), p, seed, counter, s.out(out, false), s.out(mask, false)));
    }

    @Override
    public void optimizerStep(OptimizerStep step, Strided param, Strided grad, Strided[] state) {
        if (!half(param, grad) && !half(state)) {
            inner.optimizerStep(step, param, grad, state);
            return;
        }
        staged(s -> {
            Strided[] staged = new Strided[state.length];
            for (int k = 0; k < state.length; k++) staged[k] = s.out(state[k], true);
            inner.optimizerStep(step, s.out(param, true), s.in(grad), staged);
        });
    }
}
