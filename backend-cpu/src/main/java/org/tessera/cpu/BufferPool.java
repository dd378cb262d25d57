package org.tessera.cpu;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.tessera.DType;

/**
 * Reuses large heap arrays. A new Java array is zeroed and, when large, first-touches fresh pages; a closed
 * tensor's array handed to the next op of the same size skips both (see AllocationBench for the measured
 * gain). Buckets are exact sizes, since a training step repeats the same shapes. Only arrays of at least
 * {@link #MIN_ELEMENTS} are kept, and at most {@link #maxBytes} in all; the rest is left to the GC.
 * Arrays come back only through {@code Tensor.close()} (storage refcount reached zero), so no live view
 * can still see a pooled array.
 */
final class BufferPool {
    /** Smaller arrays are cheap to allocate from the thread-local allocation buffer. */
    static final int MIN_ELEMENTS = 1 << 16;

    private record Key(DType dtype, int length) {}

    private final Map<Key, ArrayDeque<Object>> free = new HashMap<>();
    private final long maxBytes;
    private long pooledBytes;

    BufferPool(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The default cap: a quarter of the maximum heap, so pooling never crowds out the live working set. */
    static BufferPool forThisJvm() {
        boolean on = !"off".equalsIgnoreCase(System.getProperty("tessera.cpu.pool"));
        return new BufferPool(on ? Runtime.getRuntime().maxMemory() / 4 : 0);
    }

    synchronized Object take(DType dtype, int n) {
        if (n < MIN_ELEMENTS || maxBytes == 0) return null;
        ArrayDeque<Object> q = free.get(new Key(dtype, n));
        Object a = q == null ? null : q.pollFirst();
        if (a != null) pooledBytes -= (long) n * dtype.byteSize();
        return a;
    }

    synchronized void give(DType dtype, Object array, int n) {
        long bytes = (long) n * dtype.byteSize();
        if (n < MIN_ELEMENTS || pooledBytes + bytes > maxBytes) return;
        free.computeIfAbsent(new Key(dtype, n), k -> new ArrayDeque<>()).addFirst(array);
        pooledBytes += bytes;
    }

    synchronized long pooledBytes() {
        return pooledBytes;
    }
}
