package org.tessera.backend;

import org.tessera.DType;

/**
 * What a device must do for Tessera: a small set of primitives over {@link Strided} views. Autograd,
 * nn and optim are written once in core against these. Core validates every argument (shapes, dtypes,
 * devices, index ranges) before calling, so a backend may assume its inputs are consistent:
 * operands already broadcast to the output's shape (stride 0 where repeated), outputs freshly
 * allocated and not aliasing inputs unless stated.
 *
 * <p>Calls may be asynchronous (a queue on a GPU); only {@link #read} must wait for the data.
 * One instance serves one device and must be safe to call from several threads.
 */
public interface Backend {

    /** Human-readable device name, e.g. "pthread-haswell-AMD EPYC" or "CPU (2 threads)". */
    String deviceName();

    /** One line about the device: type, compute units, memory, fp64 support (by default its name). */
    default String description() {
        return deviceName();
    }

    /** The device's type, parallel units, memory and fp64 support. */
    DeviceInfo info();

    /**
     * Whether calls only queue work (a GPU queue) rather than finish it before returning. Synchronous backends are
     * timed by the profiler around each call; asynchronous ones must time their kernels themselves.
     */
    default boolean asynchronous() {
        return false;
    }

    /** Waits until every queued op of this device has finished (asynchronous backends; a no-op otherwise). */
    default void synchronize() {
    }

    // ---- buffers ----

    /** A buffer of {@code numel} elements; contents undefined. */
    Buffer allocate(DType dtype, int numel);

    /** Returns the buffer's memory (to a pool or the device). The buffer must not be used afterwards. */
    void release(Buffer buffer);

    /**
     * Whether a buffer that is never released leaks (device or native memory). When true, core registers a
     * {@link java.lang.ref.Cleaner} per tensor as a safety net; heap-backed backends return false and let
     * the garbage collector reclaim forgotten buffers, which saves the Cleaner's cost on every op.
     */
    default boolean needsRelease() {
        return true;
    }

    /**
     * Memory counters (see {@link MemoryStats}). Only buffers released through {@link #release} count down: on a
     * heap backend, a buffer whose tensor was never closed is reclaimed by the garbage collector uncounted.
     */
    MemoryStats memory();

    /** Starts a new peak: {@link MemoryStats#peakLiveBytes()} becomes the bytes live now. */
    void resetPeakMemory();

    /** Copies a host array ({@code float[]}, {@code double[]} or {@code int[]} matching the dtype) into the buffer's first elements. */
    void write(Buffer buffer, Object hostArray);

    /** Copies the view's elements, in row-major order, into a host array of the view's dtype; waits for pending work. */
    void read(Strided src, Object hostArray);

    /** Elementwise copy between views of equal shape, converting between dtypes when they differ. */
    void copy(Strided src, Strided dst);

    /** Sets every element of the view. */
    void fill(Strided dst, double value);

    // ---- elementwise ----

    /** {@code out = op(x; p, q)}. */
    void unary(UnaryOp op, double p, double q, Strided x, Strided out);

    /** {@code dx = op'(dy, saved; p, q)} where {@code saved} is x or y as {@link UnaryOp#saves()} says (null for NONE). */
    void unaryBackward(UnaryOp op, double p, double q, Strided dy, Strided saved, Strided dx);

    /** {@code out = a op b}; {@code a} and {@code b} have out's shape (broadcast with zero strides). */
    void binary(BinaryOp op, Strided a, Strided b, Strided out);

    /** Gradient for input {@code input} (0 or 1) in the broadcast shape; a or b may be null when the formula does not read it. */
    void binaryBackward(BinaryOp op, int input, Strided dy, Strided a, Strided b, Strided out);

    // ---- reductions ----

    /**
     * Reduces {@code x} over every dimension where {@code out} (same rank) has size 1 and {@code x} does not.
     * ARGMAX reduces exactly one dimension, or all of them (the index into the row-major flattening), into I32.
     */
    void reduce(ReduceOp op, Strided x, Strided out);

    // ---- linear algebra ----

    /**
     * Batched {@code out = alpha * op(a) · op(b) + beta * out}. Operands are rank 3 {@code [batch, rows, cols]} with a
     * unit last stride; a batch stride of 0 broadcasts. {@code op(a)} is {@code a} or, when {@code transA}, its
     * transpose (a is then stored {@code [batch, K, M]}). out is {@code [batch, M, N]} and contiguous.
     */
    void matmul(Strided a, boolean transA, Strided b, boolean transB, Strided out, double alpha, double beta);

    // ---- fused ----

    /** Softmax (or log-softmax) along {@code dim}; numerically stable (the row maximum is subtracted). */
    void softmax(Strided x, int dim, boolean log, Strided out);

    /** Gradient of softmax/log-softmax from its output {@code y}: softmax dx = y(dy - Σ dy·y), log dx = dy - e^y Σ dy. */
    void softmaxBackward(Strided y, Strided dy, int dim, boolean log, Strided dx);

    /**
     * Cross-entropy per row, fused and stable: {@code losses[n] = logsumexp(logits[n, :]) - logits[n, labels[n]]}
     * for logits {@code [N, C]}, I32 labels {@code [N]} (pre-checked to lie in [0, C)), losses {@code [N]}.
     */
    void crossEntropy(Strided logits, Strided labels, Strided losses);

    /**
     * Its gradient: {@code dLogits[n, c] = dLosses[n] * (softmax(logits[n])[c] - (c == labels[n] ? 1 : 0))}.
     * {@code losses} are the forward's per-row losses: with them the log-sum-exp of a row is
     * {@code losses[n] + logits[n, labels[n]]}, so a backend may skip recomputing it (one pass of exp, not two).
     */
    void crossEntropyBackward(Strided logits, Strided labels, Strided losses, Strided dLosses, Strided dLogits);

    /** {@code out[..i..] = x[..index[..i..]..]} along {@code dim}; out and index share a shape. Indices are pre-checked. */
    void gather(Strided x, int dim, Strided index, Strided out);

    /** {@code out[..index[..i..]..] += src[..i..]} along {@code dim}; the gather's backward. */
    void scatterAdd(Strided src, int dim, Strided index, Strided out);

    /**
     * {@code out[.., i, ..] = x[.., index[i], ..]} along {@code dim} for the 1-D I32 {@code index} (PyTorch's
     * index_select: out has x's shape but {@code index.numel()} along dim). Indices are pre-checked. By default a
     * gather with the index seen spread over out's shape (stride 0 outside dim), so no index is materialised.
     */
    default void indexSelect(Strided x, int dim, Strided index, Strided out) {
        gather(x, dim, spread(index, dim, out.shape()), out);
    }

    /** A 1-D index seen with {@code shape}, varying along {@code dim} only (the gather/scatter form of index_select). */
    static Strided spread(Strided index, int dim, int[] shape) {
        int[] strides = new int[shape.length];
        strides[dim] = index.strides()[0];
        return new Strided(index.buffer(), shape.clone(), strides, index.offset());
    }

    /**
     * Fills a contiguous view with counter-based random numbers: element {@code i} takes Philox4x32-10 with
     * key {@code seed} and counter {@code counter + i} (see {@link org.tessera.Rng}), so every backend
     * draws the same stream.
     */
    void random(Strided out, RandomKind kind, long seed, long counter);

    /** The distributions {@link #random} draws from. */
    enum RandomKind { UNIFORM, NORMAL }

    /**
     * Inverted dropout with a counter-based mask: element {@code i} draws {@code u} as {@link #random} UNIFORM does
     * (counter {@code counter + i}); {@code mask[i] = u >= p ? 1 / (1 - p) : 0} and {@code out[i] = x[i] * mask[i]},
     * compared and multiplied in the dtype's precision, so every backend keeps the same elements. x, out and mask
     * are contiguous views of one shape and floating dtype.
     */
    void dropout(Strided x, double p, long seed, long counter, Strided out, Strided mask);

    // ---- optimisers ----

    /**
     * One fused optimiser step (see {@link OptimizerStep}): {@code param} and the used {@code state} slots are
     * updated in place from {@code grad}. All are contiguous views of one shape and floating dtype; unused slots
     * are null.
     */
    void optimizerStep(OptimizerStep step, Strided param, Strided grad, Strided[] state);
}
