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
public final class HalfStaging implements Backend {
    private final Backend inner;

    public HalfStaging(Backend inner) {
        this.inner = inner;
    }

    /** The backend this one stages for. */
    public Backend inner() {
        return inner;
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

    // ---- what each backend does itself ----

    @Override public String deviceName() { return inner.deviceName(); }
    @Override public String description() { return inner.description(); }
    @Override public DeviceInfo info() { return inner.info(); }
    @Override public boolean asynchronous() { return inner.asynchronous(); }
    @Override public void synchronize() { inner.synchronize(); }
    @Override public Buffer allocate(DType dtype, int numel) { return inner.allocate(dtype, numel); }
    @Override public void release(Buffer buffer) { inner.release(buffer); }
    @Override public boolean needsRelease() { return inner.needsRelease(); }
    @Override public MemoryStats memory() { return inner.memory(); }
    @Override public void resetPeakMemory() { inner.resetPeakMemory(); }
    @Override public void write(Buffer buffer, Object hostArray) { inner.write(buffer, hostArray); }
    @Override public void read(Strided src, Object hostArray) { inner.read(src, hostArray); }
    @Override public void copy(Strided src, Strided dst) { inner.copy(src, dst); }
    @Override public void fill(Strided dst, double value) { inner.fill(dst, value); }

    // ---- ops: staged when an operand is 16-bit ----

    @Override
    public void unary(UnaryOp op, double p, double q, Strided x, Strided out) {
        if (!half(x, out)) {
            inner.unary(op, p, q, x, out);
            return;
        }
        try (Stage s = new Stage()) {
            inner.unary(op, p, q, s.in(x), s.out(out, false));
            s.commit();
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, double p, double q, Strided dy, Strided saved, Strided dx) {
        if (!half(dy, saved, dx)) {
            inner.unaryBackward(op, p, q, dy, saved, dx);
            return;
        }
        try (Stage s = new Stage()) {
            inner.unaryBackward(op, p, q, s.in(dy), s.in(saved), s.out(dx, false));
            s.commit();
        }
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        if (!half(a, b, out)) {
            inner.binary(op, a, b, out);
            return;
        }
        try (Stage s = new Stage()) {
            inner.binary(op, s.in(a), s.in(b), s.out(out, false));
            s.commit();
        }
    }

    @Override
    public void binaryBackward(BinaryOp op, int input, Strided dy, Strided a, Strided b, Strided out) {
        if (!half(dy, a, b, out)) {
            inner.binaryBackward(op, input, dy, a, b, out);
            return;
        }
        try (Stage s = new Stage()) {
            inner.binaryBackward(op, input, s.in(dy), s.in(a), s.in(b), s.out(out, false));
            s.commit();
        }
    }

    @Override
    public void reduce(ReduceOp op, Strided x, Strided out) {
        if (!half(x, out)) {
            inner.reduce(op, x, out);
            return;
        }
        try (Stage s = new Stage()) {
            inner.reduce(op, s.in(x), s.out(out, false));
            s.commit();
        }
    }

    @Override
    public void matmul(Strided a, boolean transA, Strided b, boolean transB, Strided out, double alpha, double beta) {
        if (!half(a, b, out)) {
            inner.matmul(a, transA, b, transB, out, alpha, beta);
            return;
        }
        try (Stage s = new Stage()) {
            inner.matmul(s.in(a), transA, s.in(b), transB, s.out(out, beta != 0), alpha, beta);
            s.commit();
        }
    }

    @Override
    public void softmax(Strided x, int dim, boolean log, Strided out) {
        if (!half(x, out)) {
            inner.softmax(x, dim, log, out);
            return;
        }
        try (Stage s = new Stage()) {
            inner.softmax(s.in(x), dim, log, s.out(out, false));
            s.commit();
        }
    }

    @Override
    public void softmaxBackward(Strided y, Strided dy, int dim, boolean log, Strided dx) {
        if (!half(y, dy, dx)) {
            inner.softmaxBackward(y, dy, dim, log, dx);
            return;
        }
        try (Stage s = new Stage()) {
            inner.softmaxBackward(s.in(y), s.in(dy), dim, log, s.out(dx, false));
            s.commit();
        }
    }

    @Override
    public void crossEntropy(Strided logits, Strided labels, Strided losses) {
        if (!half(logits, losses)) {
            inner.crossEntropy(logits, labels, losses);
            return;
        }
        try (Stage s = new Stage()) {
            inner.crossEntropy(s.in(logits), labels, s.out(losses, false));
            s.commit();
        }
    }

    @Override
    public void crossEntropyBackward(Strided logits, Strided labels, Strided losses, Strided dLosses, Strided dLogits) {
        if (!half(logits, losses, dLosses, dLogits)) {
            inner.crossEntropyBackward(logits, labels, losses, dLosses, dLogits);
            return;
        }
        try (Stage s = new Stage()) {
            inner.crossEntropyBackward(s.in(logits), labels, s.in(losses), s.in(dLosses), s.out(dLogits, false));
            s.commit();
        }
    }

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        if (!half(x, out)) {
            inner.gather(x, dim, index, out);
            return;
        }
        try (Stage s = new Stage()) {
            inner.gather(s.in(x), dim, index, s.out(out, false));
            s.commit();
        }
    }

    @Override
    public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        if (!half(src, out)) {
            inner.scatterAdd(src, dim, index, out);
            return;
        }
        try (Stage s = new Stage()) {
            inner.scatterAdd(s.in(src), dim, index, s.out(out, true));
            s.commit();
        }
    }

    @Override
    public void indexSelect(Strided x, int dim, Strided index, Strided out) {
        if (!half(x, out)) {
            inner.indexSelect(x, dim, index, out);
            return;
        }
        try (Stage s = new Stage()) {
            inner.indexSelect(s.in(x), dim, index, s.out(out, false));
            s.commit();
        }
    }

    @Override
    public void random(Strided out, RandomKind kind, long seed, long counter) {
        if (!half(out)) {
            inner.random(out, kind, seed, counter);
            return;
        }
        try (Stage s = new Stage()) {
            inner.random(s.out(out, false), kind, seed, counter);
            s.commit();
        }
    }

    @Override
    public void dropout(Strided x, double p, long seed, long counter, Strided out, Strided mask) {
        if (!half(x, out, mask)) {
            inner.dropout(x, p, seed, counter, out, mask);
            return;
        }
        try (Stage s = new Stage()) {
            inner.dropout(s.in(x), p, seed, counter, s.out(out, false), s.out(mask, false));
            s.commit();
        }
    }

    @Override
    public void optimizerStep(OptimizerStep step, Strided param, Strided grad, Strided[] state) {
        if (!half(param, grad) && !half(state)) {
            inner.optimizerStep(step, param, grad, state);
            return;
        }
        try (Stage s = new Stage()) {
            Strided[] staged = new Strided[state.length];
            for (int k = 0; k < state.length; k++) staged[k] = s.out(state[k], true);
            inner.optimizerStep(step, s.out(param, true), s.in(grad), staged);
            s.commit();
        }
    }
}
