package org.tessera.autograd;

import java.util.Arrays;
import org.tessera.Tensor;

/**
 * One recorded op of the define-by-run graph: its inputs (the edges backward follows), the tensors its
 * backward needs (saved with the version they had, so an in-place change is caught), and its
 * vector-Jacobian product. Op implementations create nodes through {@code Tensor}; users see them only
 * through {@link Autograd#toDot}.
 */
public final class Node {

    /**
     * The vector-Jacobian product of an op: given the gradient of the op's output and the saved tensors
     * (in the order they were saved), the gradient of each input, or null for an input that needs none
     * ({@code needs[i]} is false: skip that work). Implementations must read tensors only through
     * {@code saved}, never capture them, so that version checks and graph freeing see every use.
     */
    @FunctionalInterface
    public interface Vjp {
        Tensor[] apply(Tensor grad, Tensor[] saved, boolean[] needs);
    }

    private final String op;
    private final int[] outputShape;
    private final Tensor[] inputs;
    private final boolean[] needsGrad;
    private final Vjp vjp;
    private Tensor[] saved;
    private final int[] savedVersions;
    private final String[] savedRoles;
    private final StackTraceElement createdAt;
    private boolean freed;

    /**
     * @param saved  tensors the VJP reads; each is held through an alias handle the node owns
     * @param roles  what each saved tensor is to the op ("input 0", "output"), for error messages
     */
    public Node(String op, int[] outputShape, Tensor[] inputs, Tensor[] saved, String[] roles, Vjp vjp,
                StackTraceElement createdAt) {
        this.op = op;
        this.outputShape = outputShape;
        this.inputs = inputs;
        this.needsGrad = new boolean[inputs.length];
        for (int i = 0; i < inputs.length; i++) needsGrad[i] = inputs[i] != null && inputs[i].requiresGrad();
        this.vjp = vjp;
        this.saved = saved;
        this.savedVersions = new int[saved.length];
        for (int i = 0; i < saved.length; i++) savedVersions[i] = saved[i] == null ? 0 : saved[i].version();
        this.savedRoles = roles;
        this.createdAt = createdAt;
    }

    public String op() {
        return op;
    }

    public int[] outputShape() {
        return outputShape.clone();
    }

    /** Input tensors (null where an input takes no gradient). */
    Tensor[] inputs() {
        return inputs;
    }

    boolean needsGrad(int i) {
        return needsGrad[i];
    }

    /** Where user code created this op (recorded in anomaly mode; otherwise null). */
    public StackTraceElement createdAt() {
        return createdAt;
    }

    /** Runs the VJP after checking that the graph is intact and no saved tensor changed since the forward pass. */
    Tensor[] backward(Tensor grad) {
        if (freed) {
            throw new IllegalStateException("Trying to backward through the graph a second time (op '" + op
                    + "'): its saved tensors were freed by the first backward. Pass retainGraph = true to the "
                    + "first backward(gradient, retainGraph) if you need to backward through it again.");
        }
        for (int i = 0; i < saved.length; i++) {
            Tensor t = saved[i];
            if (t != null && t.version() != savedVersions[i]) {
                throw new IllegalStateException("backward through '" + op + "': the tensor saved as its "
                        + savedRoles[i] + " (shape " + Arrays.toString(t.shape()) + ", " + t.dtype()
                        + ") was modified by an in-place operation after it was saved (it is at version "
                        + t.version() + ", saved at version " + savedVersions[i] + ")"
                        + (createdAt == null ? "" : "; op created at " + createdAt));
            }
        }
        return vjp.apply(grad, saved, needsGrad);
    }

    /** Drops the saved tensors (frees their memory unless other handles hold it); a later backward throws. */
    void free() {
        if (freed) return;
        freed = true;
        for (Tensor t : saved) {
            if (t != null) t.close();
        }
        saved = new Tensor[0];
    }

    boolean isFreed() {
        return freed;
    }

    @Override
    public String toString() {
        return op + Arrays.toString(outputShape);
    }
}
