package org.tessera.backend;

/**
 * A backend's memory counters: buffers handed out and not yet released (and their bytes, as allocated, i.e. with
 * the pool's rounding), bytes held in its pool for reuse, and the most bytes live at once since the last
 * {@link Backend#resetPeakMemory()}. Tests use them to prove that closing tensors returns
 * memory and that a training step in steady state allocates nothing new.
 */
public record MemoryStats(long liveBuffers, long liveBytes, long pooledBytes, long peakLiveBytes) {
    @Override
    public String toString() {
        return liveBuffers + " live buffers, " + liveBytes + " live bytes (peak " + peakLiveBytes + "), " + pooledBytes + " pooled bytes";
    }
}
