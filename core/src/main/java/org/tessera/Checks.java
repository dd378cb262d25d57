package org.tessera;

import java.util.Arrays;

/**
 * Checks of index and label values, shared by {@link Tensor}'s gather, indexSelect and crossEntropy and by
 * {@code nn.Losses}: one place for each rule and its message. A check reads the values from the device only when
 * their bounds are not already known: bounds come with host data ({@code Tensor.of(int[])}), pass to views and to
 * selected or gathered copies, and are remembered after a check that read them, until an in-place write. So a
 * training loop's labels and batch indices are checked on every batch with no device read (no queue drain on an
 * OpenCL device), and a bad value still fails before any kernel runs.
 */
public final class Checks {
    private Checks() {}

    /** How a check names one value out of range: the value and its flat element. */
    @FunctionalInterface
    interface OutOfRange {
        String message(int value, int element);
    }

    /** Throws {@link IllegalArgumentException} unless every value of the I32 tensor {@code values} is in [0, bound). */
    static void valuesBelow(Tensor values, int bound, OutOfRange outOfRange) {
        int[] known = values.knownRange();
        if (known != null && known[0] >= 0 && known[1] < bound) return;
        int[] v = values.toIntArray();
        int min = Integer.MAX_VALUE, max = Integer.MIN_VALUE;
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= bound) throw new IllegalArgumentException(outOfRange.message(v[i], i));
            min = Math.min(min, v[i]);
            max = Math.max(max, v[i]);
        }
        if (v.length > 0) values.knowRange(min, max);
    }

    /**
     * Class labels for scores {@code [N, C]}: I32 of shape {@code [N]}, each in [0, C). {@code op} names the caller in
     * the message.
     */
    public static void classLabels(String op, Tensor scores, Tensor labels) {
        if (scores.dim() != 2) throw new IllegalArgumentException(op + ": scores must be [N, C], got " + Shapes.str(scores.shape()));
        if (labels.dtype() != DType.I32 || labels.dim() != 1 || labels.shape(0) != scores.shape(0)) {
            throw new IllegalArgumentException(op + ": labels must be I32 of shape [" + scores.shape(0) + "] for scores "
                    + Shapes.str(scores.shape()) + ", got " + labels.dtype() + " " + Shapes.str(labels.shape()));
        }
        int classes = scores.shape(1);
        valuesBelow(labels, classes, (value, row) -> op + ": label " + value + " (row " + row + ") is outside [0, " + classes
                + ") for " + classes + " classes");
    }

    /** Validates a backward root and its upstream gradient before any work ({@link Tensor#backward}, {@code Autograd.grad}). */
    public static void backwardRoot(Tensor root, Tensor gradient, String where) {
        if (root.isClosed()) throw new IllegalStateException(where + ": the tensor " + Arrays.toString(root.shape()) + " was closed");
        if (!root.requiresGrad()) {
            throw new IllegalStateException(where + ": the tensor " + root + " does not require grad and has no grad_fn"
                    + " (no input of the ops that computed it requires grad, or it was computed under noGrad)");
        }
        if (gradient == null) {
            if (root.numel() != 1) {
                throw new IllegalStateException((where.equals("backward") ? "backward()" : where) + " without a gradient needs a tensor with one element, this one has shape "
                        + Arrays.toString(root.shape()) + "; pass " + (where.equals("backward") ? "backward(gradient)" : "gradOutputs")
                        + " with a gradient of that shape");
            }
            return;
        }
        if (gradient.isClosed()) throw new IllegalStateException(where + ": the gradient was closed");
        if (gradient.device() != root.device()) {
            throw new IllegalArgumentException(where + ": the gradient is on " + gradient.device() + ", the tensor on " + root.device());
        }
        if (gradient.dtype() != root.dtype()) {
            throw new IllegalArgumentException(where + ": dtypes differ: the gradient is " + gradient.dtype() + ", the tensor "
                    + root.dtype() + " (convert one with to(DType))");
        }
        if (!Arrays.equals(root.shape(), gradient.shape())) {
            throw new IllegalArgumentException(where + ": the gradient's shape " + Arrays.toString(gradient.shape())
                    + " differs from the tensor's shape " + Arrays.toString(root.shape()));
        }
    }
}
