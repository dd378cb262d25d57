package org.tessera.graph;

/**
 * What the graph and its engine need of the values that flow through it ({@code Tensor} implements it): the
 * engine never sees a tensor's storage, device or ops beyond these, so this package does not depend on
 * {@code org.tessera} and the facade ({@code Tensor}, {@code autograd.Autograd}) sits on top of it.
 *
 * @param <T> the value type itself
 */
public interface GradValue<T extends GradValue<T>> {
    /** The in-place version of the value's storage: a saved value whose version moved was changed after it was saved. */
    int version();

    int[] shape();

    /** Its dtype's name, for messages. */
    String dtypeName();

    /** The sum of two gradients that meet at one node (a new value). */
    T add(T other);

    /** Another handle with the same history (a gradient recorded with createGraph keeps it). */
    T alias();

    /** Another handle with no history. */
    T detach();

    /** Whether no element is NaN or infinite (anomaly mode). */
    boolean allFinite();

    /** Releases this handle. */
    void close();
}
