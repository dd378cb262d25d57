package org.tessera.backend;

import org.tessera.DType;

/**
 * Device memory holding {@code capacity} elements of one dtype, owned by the backend that allocated it.
 * Core never looks inside; it hands buffers back to their backend inside {@link Strided} views.
 */
public interface Buffer {
    DType dtype();

    /** Number of elements the buffer holds. */
    int capacity();
}
