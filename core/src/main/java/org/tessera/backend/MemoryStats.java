package org.tessera.backend;

/**
 * A backend's memory counters: buffers handed out and not yet released (and their bytes, as allocated, i.e. with
 * the pool's rounding), and bytes held in its pool for reuse. Tests use them to prove that closing tensors returns
 * memory and that a training step in steady state allocates nothing new.
 */
public record MemoryStats(long liveBuffers, long liveBytes, long pooledBytes) {
    @Override
    public String toString() {
        return liveBuffers + " live buffers, " + liveBytes + " live bytes, " + pooledBytes + " pooled bytes";
    }
}
