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
 */
final class ClBufferPool {
    private static final long MIN_BUCKET = 256;

    private final cl_context context;
    private final Map<Long, ArrayDeque<cl_mem>> free = new HashMap<>();
    private final AtomicLong liveBuffers = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private long pooledBytes;

    ClBufferPool(cl_context context) {
        this.context = context;
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
        cl_mem m;
        try {
            m = clCreateBuffer(context, CL_MEM_READ_WRITE, bucket, null, null);
        } catch (CLException first) {
            long released = trim();
            try {
                m = clCreateBuffer(context, CL_MEM_READ_WRITE, bucket, null, null);
            } catch (CLException second) {
                throw new TesseraException("OpenCL device out of memory: could not allocate " + bucket + " bytes ("
                        + second.getMessage() + ") after releasing " + released + " pooled bytes; " + liveBytes.get()
                        + " bytes in " + liveBuffers.get() + " live buffers", second);
            }
        }
        count(bucket);
        return m;
    }

    synchronized void give(cl_mem m, long bucket) {
        liveBuffers.decrementAndGet();
        liveBytes.addAndGet(-bucket);
        free.computeIfAbsent(bucket, b -> new ArrayDeque<>()).addFirst(m);
        pooledBytes += bucket;
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
        liveBytes.addAndGet(bucket);
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
