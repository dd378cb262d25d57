package org.tessera.profile;

import org.tessera.backend.Backend;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.Buffer;
import org.tessera.backend.ForwardingBackend;
import org.tessera.backend.OptimizerStep;
import org.tessera.backend.ReduceOp;
import org.tessera.backend.Strided;
import org.tessera.backend.UnaryOp;

/**
 * Wraps a synchronous backend (one whose calls finish before they return) and, while the {@link Profiler} is on,
 * records each primitive's wall time under its name ("matmul", "unary tanh", ...). When it is off a call costs one
 * volatile read more. Device wraps synchronous backends in it; asynchronous ones time their kernels themselves.
 */
public final class ProfilingBackend extends ForwardingBackend {
    private final String device;

    public ProfilingBackend(String device, Backend inner) {
        super(inner);
        this.device = device;
    }

    private void time(String name, Runnable call) {
        long t = System.nanoTime();
        call.run();
        Profiler.record(device, name, System.nanoTime() - t);
    }

    private static String name(String kind, Enum<?> op) {
        return kind + " " + op.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void write(Buffer buffer, Object hostArray) {
        if (Profiler.enabled()) time("write (to device)", () -> inner.write(buffer, hostArray));
        else inner.write(buffer, hostArray);
    }

    @Override
    public void read(Strided src, Object hostArray) {
        if (Profiler.enabled()) time("read (to host)", () -> inner.read(src, hostArray));
        else inner.read(src, hostArray);
    }

    @Override
    public void copy(Strided src, Strided dst) {
        if (Profiler.enabled()) time("copy", () -> inner.copy(src, dst));
        else inner.copy(src, dst);
    }

    @Override
    public void fill(Strided dst, double value) {
        if (Profiler.enabled()) time("fill", () -> inner.fill(dst, value));
        else inner.fill(dst, value);
    }

    @Override
    public void unary(UnaryOp op, double p, double q, Strided x, Strided out) {
        if (Profiler.enabled()) time(name("unary", op), () -> inner.unary(op, p, q, x, out));
        else inner.unary(op, p, q, x, out);
    }

    @Override
    public void unaryBackward(UnaryOp op, double p, double q, Strided dy, Strided saved, Strided dx) {
        if (Profiler.enabled()) time(name("unary backward", op), () -> inner.unaryBackward(op, p, q, dy, saved, dx));
        else inner.unaryBackward(op, p, q, dy, saved, dx);
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        if (Profiler.enabled()) time(name("binary", op), () -> inner.binary(op, a, b, out));
        else inner.binary(op, a, b, out);
    }

    @Override
    public void binaryBackward(BinaryOp op, int input, Strided dy, Strided a, Strided b, Strided out) {
        if (Profiler.enabled()) time(name("binary backward", op), () -> inner.binaryBackward(op, input, dy, a, b, out));
        else inner.binaryBackward(op, input, dy, a, b, out);
    }

    @Override
    public void reduce(ReduceOp op, Strided x, Strided out) {
        if (Profiler.enabled()) time(name("reduce", op), () -> inner.reduce(op, x, out));
        else inner.reduce(op, x, out);
    }

    @Override
    public void matmul(Strided a, boolean transA, Strided b, boolean transB, Strided out, double alpha, double beta) {
        if (Profiler.enabled()) time("matmul", () -> inner.matmul(a, transA, b, transB, out, alpha, beta));
        else inner.matmul(a, transA, b, transB, out, alpha, beta);
    }

    @Override
    public void softmax(Strided x, int dim, boolean log, Strided out) {
        if (Profiler.enabled()) time(log ? "logSoftmax" : "softmax", () -> inner.softmax(x, dim, log, out));
        else inner.softmax(x, dim, log, out);
    }

    @Override
    public void softmaxBackward(Strided y, Strided dy, int dim, boolean log, Strided dx) {
        if (Profiler.enabled()) time(log ? "logSoftmax backward" : "softmax backward", () -> inner.softmaxBackward(y, dy, dim, log, dx));
        else inner.softmaxBackward(y, dy, dim, log, dx);
    }

    @Override
    public void crossEntropy(Strided logits, Strided labels, Strided losses) {
        if (Profiler.enabled()) time("crossEntropy", () -> inner.crossEntropy(logits, labels, losses));
        else inner.crossEntropy(logits, labels, losses);
    }

    @Override
    public void crossEntropyBackward(Strided logits, Strided labels, Strided losses, Strided dLosses, Strided dLogits) {
        if (Profiler.enabled()) time("crossEntropy backward", () -> inner.crossEntropyBackward(logits, labels, losses, dLosses, dLogits));
        else inner.crossEntropyBackward(logits, labels, losses, dLosses, dLogits);
    }

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        if (Profiler.enabled()) time("gather", () -> inner.gather(x, dim, index, out));
        else inner.gather(x, dim, index, out);
    }

    @Override
    public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        if (Profiler.enabled()) time("scatterAdd", () -> inner.scatterAdd(src, dim, index, out));
        else inner.scatterAdd(src, dim, index, out);
    }

    @Override
    public void indexSelect(Strided x, int dim, Strided index, Strided out) {
        if (Profiler.enabled()) time("indexSelect", () -> inner.indexSelect(x, dim, index, out));
        else inner.indexSelect(x, dim, index, out);
    }

    @Override
    public void random(Strided out, RandomKind kind, long seed, long counter) {
        if (Profiler.enabled()) time(name("random", kind), () -> inner.random(out, kind, seed, counter));
        else inner.random(out, kind, seed, counter);
    }

    @Override
    public void dropout(Strided x, double p, long seed, long counter, Strided out, Strided mask) {
        if (Profiler.enabled()) time("dropout", () -> inner.dropout(x, p, seed, counter, out, mask));
        else inner.dropout(x, p, seed, counter, out, mask);
    }

    @Override
    public void optimizerStep(OptimizerStep step, Strided param, Strided grad, Strided[] state) {
        if (Profiler.enabled()) time("optimizer " + step.getClass().getSimpleName(), () -> inner.optimizerStep(step, param, grad, state));
        else inner.optimizerStep(step, param, grad, state);
    }
}
