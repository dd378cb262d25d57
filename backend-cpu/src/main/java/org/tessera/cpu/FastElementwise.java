package org.tessera.cpu;

import org.tessera.backend.BinaryOp;
import org.tessera.backend.OptimizerStep;
import org.tessera.backend.UnaryOp;

/**
 * Optional SIMD kernels for F32 operands, for the op rows that dominate training (activations, arithmetic). Each
 * lookup gives the kernel of one op row, or null where there is none: the caller then runs the row's Java formula,
 * so a row without a kernel is never left uncomputed. A kernel computes all {@code n} elements, as its row's formula
 * rounded to float (exp, tanh and sigmoid within 2 ulp; NaN, infinities and signed zeros as the row).
 */
interface FastElementwise {
    @FunctionalInterface
    interface Unary {
        void apply(float p, float q, float[] x, int xo, float[] y, int yo, int n);
    }

    /** {@code s} is the saved tensor (x or y per {@link UnaryOp#saves()}), null for NONE. */
    @FunctionalInterface
    interface UnaryBackward {
        void apply(float p, float q, float[] dy, int dyo, float[] s, int so, float[] dx, int dxo, int n);
    }

    @FunctionalInterface
    interface Binary {
        void apply(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);
    }

    /** The forward kernel of {@code op}, or null. */
    Unary unary(UnaryOp op);

    /** The backward (vector-Jacobian product) kernel of {@code op}, or null. */
    UnaryBackward unaryBackward(UnaryOp op);

    /** The forward kernel of {@code op}, or null. */
    Binary binary(BinaryOp op);

    /**
     * One optimiser step on dense F32 elements {@code [0, n)} (offsets as {@link OptimizerStep#apply(int, float[], int,
     * float[], int, float[][], int[])}), in float; false where not implemented (the caller then runs the step's own loop).
     */
    boolean optimizerStep(OptimizerStep step, int n, float[] p, int po, float[] g, int go, float[][] state, int[] so);

    /** Used when the Vector API is absent: no kernels. */
    FastElementwise NONE = new FastElementwise() {
        @Override public Unary unary(UnaryOp op) { return null; }
        @Override public UnaryBackward unaryBackward(UnaryOp op) { return null; }
        @Override public Binary binary(BinaryOp op) { return null; }
        @Override public boolean optimizerStep(OptimizerStep step, int n, float[] p, int po, float[] g, int go, float[][] state, int[] so) { return false; }
    };
}
