package org.tessera.cpu;

import org.tessera.backend.BinaryOp;
import org.tessera.backend.OptimizerStep;
import org.tessera.backend.UnaryOp;

/**
 * Optional SIMD kernels for dense F32 operands, for the op rows that dominate training (activations,
 * arithmetic). Each method returns false for a row it does not implement; the caller then runs the op
 * table's Java formula. The conformance suite checks both paths against the same PyTorch values.
 */
interface FastElementwise {
    boolean unary(UnaryOp op, float p, float q, float[] x, int xo, float[] y, int yo, int n);

    /** {@code s} is the saved tensor (x or y per {@link UnaryOp#saves()}), null for NONE. */
    boolean unaryBackward(UnaryOp op, float p, float q, float[] dy, int dyo, float[] s, int so, float[] dx, int dxo, int n);

    boolean binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);

    /**
     * One optimiser step on dense F32 elements {@code [0, n)} (offsets as {@link OptimizerStep#apply(int, float[], int,
     * float[], int, float[][], int[])}), in float; false where not implemented (the caller then runs the step's own loop).
     */
    boolean optimizerStep(OptimizerStep step, int n, float[] p, int po, float[] g, int go, float[][] state, int[] so);

    boolean supports(UnaryOp op, boolean backward);

    boolean supports(BinaryOp op);

    /** Used when the Vector API is absent: supports nothing. */
    FastElementwise NONE = new FastElementwise() {
        @Override public boolean unary(UnaryOp op, float p, float q, float[] x, int xo, float[] y, int yo, int n) { return false; }
        @Override public boolean unaryBackward(UnaryOp op, float p, float q, float[] dy, int dyo, float[] s, int so, float[] dx, int dxo, int n) { return false; }
        @Override public boolean binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) { return false; }
        @Override public boolean optimizerStep(OptimizerStep step, int n, float[] p, int po, float[] g, int go, float[][] state, int[] so) { return false; }
        @Override public boolean supports(UnaryOp op, boolean backward) { return false; }
        @Override public boolean supports(BinaryOp op) { return false; }
    };
}
