package org.tessera.opencl;

import static org.jocl.CL.*;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jocl.CLException;
import org.jocl.cl_context;
import org.jocl.cl_mem;
import org.tessera.TesseraException;

/**
 * Device memory in power-of-two buckets (from 256 bytes), so a training step in steady state allocates no new
 * buffer. Device out-of-memory empties the pool and retries once, then throws with the sizes involved.
 * Live and pooled counts are exposed for tests and diagnostics.
 *
 * <p>An optional limit (property {@code tessera.opencl.memoryLimit}, bytes, with k/m/g suffixes) caps live plus
 * pooled bytes: a request past it takes the same path as a device out-of-memory error. It keeps one process to
 * its share of a shared GPU, and lets tests inject out-of-memory on any device.
 */
final class ClBufferPool {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ClBufferPool.class);
    private static final long MIN_BUCKET = 256;

    private final cl_context context;
    private final Map<Long, ArrayDeque<cl_mem>> free = new HashMap<>();
    private final AtomicLong liveBuffers = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong peakBytes = new AtomicLong();
    private long pooledBytes;
    private volatile long limit;

    ClBufferPool(cl_context context, long limit) {
        this.context = context;
        this.limit = limit;
    }

    /** The limit from {@code tessera.opencl.memoryLimit} (e.g. "512m"), or Long.MAX_VALUE when unset. */
    static long configuredLimit() {
        String v = System.getProperty("tessera.opencl.memoryLimit");
        if (v == null || v.isBlank()) return Long.MAX_VALUE;
        String s = v.trim().toLowerCase(java.util.Locale.ROOT);
        long unit = switch (s.charAt(s.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        try {
            return Long.parseLong(unit == 1 ? s : s.substring(0, s.length() - 1)) * unit;
        } catch (NumberFormatException e) {
            throw new TesseraException("tessera.opencl.memoryLimit must be a byte count such as 536870912 or 512m, got '" + v + "'");
        }
    }

    static long bucket(long bytes) {
        long b = MIN_BUCKET;
        while (b < bytes) b <<= 1;
        return b;
    }

    cl_mem take(long bucket) {
        synchronized (this) {
            ArrayDeque<cl_mem> q = free.get(bucket);
            cl_mem m = q == null ? null : q.pollFirst();
            if (m != null) {
                pooledBytes -= bucket;
                count(bucket);
                return m;
            }
        }
        CLException[] failure = new CLException[1];
        cl_mem m = tryCreate(bucket, failure);
        long released = 0;
        if (m == null) {                       // out of memory: first give the pooled buffers back
            released += trim();
            m = tryCreate(bucket, failure);
        }
        // then tensors nobody closed and nobody references: they hold device memory the Java heap does not see,
        // so the GC may not have run for them yet; a few rounds, since the Cleaners free them over some milliseconds
        for (int round = 0; round < 3 && m == null; round++) {
            released += collectForgotten();
            m = tryCreate(bucket, failure);
        }
        if (m == null) {
            throw new TesseraException("OpenCL device out of memory: could not allocate " + bucket + " bytes (" + failure[0].getMessage()
                    + ") after releasing " + released + " pooled bytes; " + liveBytes.get() + " bytes in " + liveBuffers.get()
                    + " live buffers" + (limit == Long.MAX_VALUE ? "" : "; limit " + limit + " bytes (tessera.opencl.memoryLimit)"), failure[0]);
        }
        count(bucket);
        return m;
    }

    /** A new buffer, or null (with the error in {@code failure[0]}) when the device (or the limit) refuses. */
    private cl_mem tryCreate(long bucket, CLException[] failure) {
        try {
            return create(bucket);
        } catch (CLException e) {
            failure[0] = e;
            return null;
        }
    }

    /**
     * Runs the garbage collector and waits for the Cleaners to release unreachable tensors' buffers: until the live
     * bytes stop falling for 10 ms (or ~200 ms in all), then gives the freed buffers back to the device.
     */
    private long collectForgotten() {
        long before = liveBytes.get();
        System.gc();
        long last = before;
        for (int i = 0, quiet = 0; i < 40 && quiet < 2; i++) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = liveBytes.get();
            quiet = now < last || now == before ? 0 : quiet + 1;   // nothing freed yet, or still freeing: keep waiting
            last = now;
        }
        if (liveBytes.get() < before) LOG.debug("out of device memory: the GC freed {} bytes of tensors nobody closed", before - liveBytes.get());
        return trim();
    }

    /** Changes the limit on live + pooled bytes (tests inject out-of-memory with it). */
    void setLimit(long limit) {
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    private cl_mem create(long bucket) {
        synchronized (this) {
            if (liveBytes.get() + pooledBytes + bucket > limit) {
                throw new CLException("CL_MEM_OBJECT_ALLOCATION_FAILURE (over the memory limit)", CL_MEM_OBJECT_ALLOCATION_FAILURE);
            }
        }
        return clCreateBuffer(context, CL_MEM_READ_WRITE, bucket, null, null);
    }

    synchronized void give(cl_mem m, long bucket) {
        liveBuffers.decrementAndGet();
        liveBytes.addAndGet(-bucket);
        free.computeIfAbsent(bucket, b -> new ArrayDeque<>()).addFirst(m);
        pooledBytes += bucket;
    }

    /** Releases a live buffer straight to the device (after the backend was closed: there is no pool to keep it in). */
    synchronized void discard(cl_mem m, long bucket) {
        liveBuffers.decrementAndGet();
        liveBytes.addAndGet(-bucket);
        clReleaseMemObject(m);
    }

    /** Releases every pooled buffer to the device; returns the bytes released. */
    synchronized long trim() {
        long released = pooledBytes;
        for (ArrayDeque<cl_mem> q : free.values()) q.forEach(org.jocl.CL::clReleaseMemObject);
        free.clear();
        pooledBytes = 0;
        return released;
    }

    private void count(long bucket) {
        liveBuffers.incrementAndGet();
        long live = liveBytes.addAndGet(bucket);
        if (live > peakBytes.get()) peakBytes.accumulateAndGet(live, Math::max);
    }

    long peakBytes() {
        return peakBytes.get();
    }

    void resetPeak() {
        peakBytes.set(liveBytes.get());
    }

    long liveBuffers() {
        return liveBuffers.get();
    }

    long liveBytes() {
        return liveBytes.get();
    }

    synchronized long pooledBytes() {
        return pooledBytes;
    }
}
