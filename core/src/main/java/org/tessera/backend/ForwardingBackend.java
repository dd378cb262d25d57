package org.tessera.backend;

import org.tessera.DType;

/**
 * A backend that hands every call to another: the base of the decorators in front of a device's backend
 * ({@link HalfStaging}, {@link org.tessera.profile.ProfilingBackend}), which override only what they change.
 */
public abstract class ForwardingBackend implements Backend {
    protected final Backend inner;

    protected ForwardingBackend(Backend inner) {
        this.inner = inner;
    }

    /** The backend this one hands its calls to. */
    public Backend inner() {
        return inner;
    }

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

    @Override
    public void unary(UnaryOp op, double p, double q, Strided x, Strided out) {
        inner.unary(op, p, q, x, out);
    }

    @Override
    public void unaryBackward(UnaryOp op, double p, double q, Strided dy, Strided saved, Strided dx) {
        inner.unaryBackward(op, p, q, dy, saved, dx);
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        inner.binary(op, a, b, out);
    }

    @Override
    public void binaryBackward(BinaryOp op, int input, Strided dy, Strided a, Strided b, Strided out) {
        inner.binaryBackward(op, input, dy, a, b, out);
    }

    @Override
    public void reduce(ReduceOp op, Strided x, Strided out) {
        inner.reduce(op, x, out);
    }

    @Override
    public void matmul(Strided a, boolean transA, Strided b, boolean transB, Strided out, double alpha, double beta) {
        inner.matmul(a, transA, b, transB, out, alpha, beta);
    }

    @Override
    public void softmax(Strided x, int dim, boolean log, Strided out) {
        inner.softmax(x, dim, log, out);
    }

    @Override
    public void softmaxBackward(Strided y, Strided dy, int dim, boolean log, Strided dx) {
        inner.softmaxBackward(y, dy, dim, log, dx);
    }

    @Override
    public void crossEntropy(Strided logits, Strided labels, Strided losses) {
        inner.crossEntropy(logits, labels, losses);
    }

    @Override
    public void crossEntropyBackward(Strided logits, Strided labels, Strided losses, Strided dLosses, Strided dLogits) {
        inner.crossEntropyBackward(logits, labels, losses, dLosses, dLogits);
    }

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        inner.gather(x, dim, index, out);
    }

    @Override
    public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        inner.scatterAdd(src, dim, index, out);
    }

    @Override
    public void indexSelect(Strided x, int dim, Strided index, Strided out) {
        inner.indexSelect(x, dim, index, out);
    }

    @Override
    public void random(Strided out, RandomKind kind, long seed, long counter) {
        inner.random(out, kind, seed, counter);
    }

    @Override
    public void dropout(Strided x, double p, long seed, long counter, Strided out, Strided mask) {
        inner.dropout(x, p, seed, counter, out, mask);
    }

    @Override
    public void optimizerStep(OptimizerStep step, Strided param, Strided grad, Strided[] state) {
        inner.optimizerStep(step, param, grad, state);
    }
}
