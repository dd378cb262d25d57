package org.tessera.opencl;

import org.jocl.cl_mem;
import org.tessera.DType;
import org.tessera.backend.Buffer;

/** A device buffer: {@code bytes} (a pool bucket) holding at least {@code capacity} elements. */
final class ClBuffer implements Buffer {
    final cl_mem mem;
    final DType dtype;
    final int capacity;
    final long bytes;

    ClBuffer(cl_mem mem, DType dtype, int capacity, long bytes) {
        this.mem = mem;
        this.dtype = dtype;
        this.capacity = capacity;
        this.bytes = bytes;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int capacity() {
        return capacity;
    }
}
