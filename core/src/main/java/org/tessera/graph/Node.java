package org.tessera.graph;

import java.util.Arrays;

/**
 * A vertex of the define-by-run graph: one recorded op, or the gradient accumulator of a leaf.
 *
 * <p>An op node holds, per input, the edge its input's gradient flows along: the node that produced that input
 * <em>when this op was recorded</em> (or the input leaf's accumulator), never the input tensor itself. An in-place
 * op later gives its tensor a new producing node; nodes recorded before keep pointing at the old one, so they
 * backpropagate through the history that existed when they ran (as PyTorch's {@code next_edges}). It also holds
 * the tensors its backward needs, saved with the version they had (an in-place change to one is caught), and its
 * vector-Jacobian product. Every op has exactly one output, so an edge needs no output index.
 *
 * <p>An accumulator node ({@link #accumulator}) ends the graph at a leaf that requires grad: what reaches it is
 * added into the leaf's {@code .grad} through its {@link GradSink}.
 */
public final class Node<T extends GradValue<T>> {

    /**
     * The vector-Jacobian product of an op: given the gradient of the op's output and the saved tensors
     * (in the order they were saved), the gradient of each input, or null for an input that needs none
     * ({@code needs[i]} is false: skip that work). Implementations must read tensors only through
     * {@code saved}, never capture them, so that version checks and graph freeing see every use.
     */
    @FunctionalInterface
    public interface Vjp<T> {
        T[] apply(T grad, T[] saved, boolean[] needs);
    }

    /** Where the gradient reaching a leaf goes (its {@code .grad}); implemented by the leaf. */
    public interface GradSink<T> {
        /**
         * Adds {@code grad} into the leaf's gradient. {@code mayAdopt}: the engine owns {@code grad} and hands it
         * over, so the leaf may keep it rather than copy it. Returns whether it kept it.
         */
        boolean accumulate(T grad, boolean mayAdopt);
    }

    private final String op;
    private final int[] outputShape;
    private final Node<T>[] next;
    private final GradSink<T> sink;
    private final Vjp<T> vjp;
    private T[] saved;
    private final int[] savedVersions;
    private final String[] savedRoles;
    private final StackTraceElement createdAt;
    private boolean freed;

    private Node(String op, int[] outputShape, Node<T>[] next, GradSink<T> sink, T[] saved, String[] roles, Vjp<T> vjp,
                 StackTraceElement createdAt) {
        this.op = op;
        this.outputShape = outputShape;
        this.next = next;
        this.sink = sink;
        this.vjp = vjp;
        this.saved = saved;
        this.savedVersions = new int[saved.length];
        for (int i = 0; i < saved.length; i++) savedVersions[i] = saved[i] == null ? 0 : saved[i].version();
        this.savedRoles = roles;
        this.createdAt = createdAt;
    }

    /**
     * An op's node (for op implementations in {@code org.tessera}).
     *
     * @param next   per input, the node its gradient flows into, null where the input needs no gradient
     * @param saved  tensors the VJP reads; each is held through an alias handle the node owns
     * @param roles  what each saved tensor is to the op ("input 0", "output"), for error messages
     */
    public static <T extends GradValue<T>> Node<T> op(String op, int[] outputShape, Node<T>[] next, T[] saved, String[] roles,
                                                    Vjp<T> vjp, StackTraceElement createdAt) {
        return new Node<>(op, outputShape, next, null, saved, roles, vjp, createdAt);
    }

    /** The end of the graph at a leaf of {@code shape} that requires grad. */
    @SuppressWarnings("unchecked")
    public static <T extends GradValue<T>> Node<T> accumulator(int[] shape, GradSink<T> sink) {
        return new Node<>("leaf", shape, new Node[0], sink, (T[]) new GradValue[0], new String[0], null, null);
    }

    public String op() {
        return op;
    }

    public int[] outputShape() {
        return outputShape.clone();
    }

    /** Whether this is a leaf's gradient accumulator (the graph ends here). */
    public boolean isAccumulator() {
        return sink != null;
    }

    GradSink<T> sink() {
        return sink;
    }

    /** The edges: per input, the node its gradient flows into, or null. */
    public Node<T>[] next() {
        return next;
    }

    /** Where user code created this op (recorded in anomaly mode; otherwise null). */
    public StackTraceElement createdAt() {
        return createdAt;
    }

    /** Runs the VJP after checking that the graph is intact and no saved tensor changed since the forward pass. */
    T[] backward(T grad, boolean[] needs) {
        if (freed) {
            throw new IllegalStateException("Trying to backward through the graph a second time (op '" + op
                    + "'): its saved tensors were freed by the first backward. Pass retainGraph = true to the "
                    + "first backward(gradient, retainGraph) if you need to backward through it again.");
        }
        for (int i = 0; i < saved.length; i++) {
            T t = saved[i];
            if (t != null && t.version() != savedVersions[i]) {
                throw new IllegalStateException("backward through '" + op + "': the tensor saved as its "
                        + savedRoles[i] + " (shape " + Arrays.toString(t.shape()) + ", " + t.dtypeName()
                        + ") was modified by an in-place operation after it was saved (it is at version "
                        + t.version() + ", saved at version " + savedVersions[i] + ")"
                        + (createdAt == null ? "" : "; op created at " + createdAt));
            }
        }
        return vjp.apply(grad, saved, needs);
    }

    /** Drops the saved tensors (frees their memory unless other handles hold it); a later backward throws. */
    void free() {
        if (freed || sink != null) return;
        freed = true;
        for (T t : saved) {
            if (t != null) t.close();
        }
        saved = Arrays.copyOf(saved, 0);
    }

    @Override
    public String toString() {
        return op + Arrays.toString(outputShape);
    }
}
