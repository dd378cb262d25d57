package org.tessera.backend;

/**
 * Reductions a backend performs over the dimensions where the output has size 1 and the input does not.
 * (A minimum is {@code -max(-x)} in core, so backends need no MIN.)
 */
public enum ReduceOp {
    SUM,
    /** Sum divided by the number of reduced elements. */
    MEAN,
    /** Largest element; NaN wins, as in PyTorch. */
    MAX,
    /** Index (I32) of the first maximum along the single reduced dimension, or in the row-major flattening of all reduced dims. */
    ARGMAX
}
