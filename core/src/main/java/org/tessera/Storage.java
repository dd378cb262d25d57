package org.tessera;

import java.util.concurrent.atomic.AtomicInteger;
import org.tessera.backend.Backend;
import org.tessera.backend.Buffer;

/**
 * A buffer shared by a tensor and its views: a reference count of open handles (the buffer goes back to
 * its backend when the last one closes) and the version counter that in-place ops bump.
 */
final class Storage {
    final Backend backend;
    final Buffer buffer;
    private final AtomicInteger handles = new AtomicInteger(1);
    private volatile int version;

    Storage(Backend backend, Buffer buffer) {
        this.backend = backend;
        this.buffer = buffer;
    }

    void retain() {
        if (handles.getAndIncrement() <= 0) throw new IllegalStateException("storage already released");
    }

    void release() {
        if (handles.decrementAndGet() == 0) backend.release(buffer);
    }

    /** Whether exactly one open handle refers to this storage (no view or alias could see a write to it). */
    boolean soleHandle() {
        return handles.get() == 1;
    }

    int version() {
        return version;
    }

    void bumpVersion() {
        version++;
    }
}
