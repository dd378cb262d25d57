package org.tessera;

/**
 * Mixed precision in a region of code, as {@code torch.autocast}: while a region is open on this thread, matrix
 * products ({@link Tensor#matmul}, {@link org.tessera.nn.Linear}) take F32 operands as F16 or BF16 copies (the
 * copy is an ordinary differentiable {@link Tensor#to(DType)}, so an F32 parameter stays the master weight and
 * receives its gradient in F32), elementwise ops then run in the 16-bit type the products gave them, and losses
 * ({@link Tensor#crossEntropy}, {@link org.tessera.nn.Losses}) widen 16-bit inputs back to F32. F64 is left alone.
 *
 * <pre>{@code
 * try (Autocast.Region r = Autocast.enable(DType.BF16)) {
 *     loss = Losses.crossEntropy(model.forward(x), y);   // activations in BF16, the loss in F32
 * }
 * loss.backward();                                       // F32 gradients on the F32 parameters
 * optimizer.step();
 * }</pre>
 * For F16, whose range ends at 65504 and whose small gradients underflow, scale the loss with
 * {@link org.tessera.optim.LossScaler}.
 */
public final class Autocast {
    private static final ThreadLocal<DType> DTYPE = new ThreadLocal<>();

    private Autocast() {}

    /** Opens a region computing products in {@code dtype} (F16 or BF16) on this thread; closing it restores the previous one. */
    public static Region enable(DType dtype) {
        if (dtype == null || !dtype.isHalf()) throw new IllegalArgumentException("Autocast.enable: the dtype must be F16 or BF16, got " + dtype);
        Region r = new Region(DTYPE.get());
        DTYPE.set(dtype);
        return r;
    }

    /** The 16-bit dtype of the open region on this thread, or null outside any region. */
    public static DType dtype() {
        return DTYPE.get();
    }

    /** {@code t} as the region's 16-bit dtype when a region is open and {@code t} is F32; otherwise {@code t} itself. */
    public static Tensor lower(Tensor t) {
        DType d = DTYPE.get();
        return d != null && t != null && t.dtype() == DType.F32 ? t.to(d) : t;
    }

    /** {@code t} as F32 when a region is open and {@code t} is 16-bit (for losses); otherwise {@code t} itself. */
    public static Tensor widen(Tensor t) {
        return DTYPE.get() != null && t != null && t.dtype().isHalf() ? t.to(DType.F32) : t;
    }

    /** An open region; {@link #close()} ends it (idempotent). */
    public static final class Region implements AutoCloseable {
        private final DType previous;
        private boolean closed;

        private Region(DType previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            if (previous == null) DTYPE.remove();
            else DTYPE.set(previous);
        }
    }
}
