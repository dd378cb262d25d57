package org.tessera.backend;

/** Reductions a backend performs over the dimensions where the output has size 1 and the input does not. */
public enum ReduceOp {
    SUM,
    /** Sum divided by the number of reduced elements. */
    MEAN,
    /** Largest element; NaN wins, as in PyTorch. */
    MAX,
    /** Smallest element; NaN wins. */
    MIN,
    /** Index (I32) of the first maximum along the single reduced dimension, or in the row-major flattening of all reduced dims. */
    ARGMAX,
    /** Index (I32) of the first minimum, as {@link #ARGMAX}. */
    ARGMIN;

    /** Whether the op picks one element (max, min and their indices) rather than adding them up. */
    public boolean picks() {
        return this != SUM && this != MEAN;
    }

    /** Whether the result is the picked element's index (I32) rather than its value. */
    public boolean index() {
        return this == ARGMAX || this == ARGMIN;
    }

    /**
     * -1 for the minimum ops, else 1: a backend finds the minimum as the maximum of {@code sign * x} (negation is
     * exact, and the first minimum of x is the first maximum of -x), then multiplies the value back.
     */
    public int sign() {
        return this == MIN || this == ARGMIN ? -1 : 1;
    }
}
