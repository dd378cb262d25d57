package org.tessera.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The all-reduce of workers that share a host, through one memory-mapped file (in /dev/shm where there is one), as
 * NCCL and Gloo do within a machine: loopback TCP moves 1.2-1.6 GB/s here and costs CPU time in the kernel, memory
 * copies run at 10+ GB/s. Each call, in pieces of at most the slot size: every worker copies its floats into its slot,
 * all meet, worker r sums the n-th r of every slot in rank order (0 + 1 + ...; with two workers a + b, as the ring and
 * an in-process sum give) into slot 0, all meet again, and every worker copies slot 0 back. Two such regions alternate,
 * so a worker may start the next piece while the others still read the last. The meetings are per-worker sequence
 * numbers in the file (release writes, acquire reads), waited on by spinning briefly, then parking for
 * doubling times up to 250 us; a worker that
 * fails marks the file aborted, so the others stop at once instead of at the timeout.
 */
final class SharedMemorySum implements AutoCloseable {
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final int HEADER = 4096;      // [0]: aborted flag; [8 + 8r]: worker r's sequence number
    private static final long POLL_NANOS = 500_000_000L;

    private final int rank, size, slotFloats;
    private final Path file;
    private final MappedByteBuffer map;
    private final FloatBuffer[][] slots;          // [region][worker]
    private final long timeoutNanos;
    private final BooleanSupplier cancelled;
    private final float[] scratch, addend;
    private long sequence;                        // meetings passed by this worker
    private int region;
    private boolean done;

    /**
     * Maps (creating it if it is not there yet) {@code file}, sized for {@code size} workers and pieces of
     * {@code slotFloats}; every worker passes the same file and sizes.
     */
    SharedMemorySum(int rank, int size, Path file, int slotFloats, Duration timeout, BooleanSupplier cancelled) throws IOException {
        if (size > (HEADER - 8) / 8) throw new IllegalArgumentException(size + " workers on one host: at most " + (HEADER - 8) / 8);
        this.rank = rank;
        this.size = size;
        this.slotFloats = slotFloats;
        this.file = file;
        this.timeoutNanos = timeout.toNanos();
        this.cancelled = cancelled;
        long bytes = HEADER + 2L * size * slotFloats * 4;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() < bytes) ch.truncate(bytes).write(java.nio.ByteBuffer.allocate(1), bytes - 1);   // grow it (zeros)
            map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
        }
        map.order(ByteOrder.nativeOrder());
        slots = new FloatBuffer[2][size];
        for (int g = 0; g < 2; g++) {
            for (int w = 0; w < size; w++) {
                int at = HEADER + (g * size + w) * slotFloats * 4;
                slots[g][w] = map.slice(at, slotFloats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            }
        }
        scratch = new float[slotFloats];
        addend = new float[slotFloats];
    }

    /** Where the workers on this host meet: /dev/shm if it exists, else the temporary directory. */
    static Path fileFor(String name) {
        Path shm = Path.of("/dev/shm");
        return (Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"))).resolve(name);
    }

    /** The sum over workers of the concatenation of {@code segments}, in place, on every worker. */
    void allReduce(float[][] segments) {
        long total = 0;
        for (float[] s : segments) total += s.length;
        int seg = 0, segAt = 0;
        for (long at = 0; at < total; at += slotFloats) {
            int len = (int) Math.min(slotFloats, total - at);
            FloatBuffer[] r = slots[region];
            // in: this worker's floats into its slot
            FloatBuffer mine = r[rank].clear();
            int s = seg, sAt = segAt;
            for (int left = len; left > 0; ) {
                int k = Math.min(left, segments[s].length - sAt);
                mine.put(segments[s], sAt, k);
                left -= k;
                sAt += k;
                if (sAt == segments[s].length) { s++; sAt = 0; }
            }
            meet();
            // sum: n-th `rank` of every slot, in rank order, into slot 0
            int from = (int) ((long) len * rank / size), to = (int) ((long) len * (rank + 1) / size), n = to - from;
            r[0].get(from, scratch, 0, n);
            for (int w = 1; w < size; w++) {
                r[w].get(from, addend, 0, n);
                for (int i = 0; i < n; i++) scratch[i] += addend[i];
            }
            r[0].put(from, scratch, 0, n);
            meet();
            // out: the sums back into the segments
            for (int left = len, pos = 0; left > 0; ) {
                int k = Math.min(left, segments[seg].length - segAt);
                r[0].get(pos, segments[seg], segAt, k);
                left -= k;
                pos += k;
                segAt += k;
                if (segAt == segments[seg].length) { seg++; segAt = 0; }
            }
            region ^= 1;
        }
    }

    /** Waits until every worker has passed as many meetings as this one. */
    private void meet() {
        sequence++;
        LONGS.setRelease(map, 8 + 8 * rank, sequence);
        long start = System.nanoTime(), lastPoll = start;
        for (int w = 0; w < size; w++) {
            int spins = 0;
            long park = 10_000;
            while ((long) LONGS.getAcquire(map, 8 + 8 * w) < sequence) {
                if ((long) LONGS.getAcquire(map, 0) != 0) throw new IllegalStateException("worker " + rank + ": a worker on this host failed (" + file + ")");
                if (++spins < 2000) {
                    Thread.onSpinWait();
                    continue;
                }
                // back off: a peer still in its backward may be tens of ms away, and wake-ups every few us take its core
                LockSupport.parkNanos(park);
                park = Math.min(park * 2, 250_000);
                long now = System.nanoTime();
                if (now - lastPoll > POLL_NANOS) {
                    lastPoll = now;
                    if (cancelled.getAsBoolean()) throw new IllegalStateException("worker " + rank + " was cancelled while waiting for worker " + w);
                    if (now - start > timeoutNanos) {
                        throw new UncheckedIOException(new IOException("worker " + rank + ": timed out after " + Duration.ofNanos(timeoutNanos).toSeconds()
                                + " s waiting for worker " + w + " on this host (" + file + ")"));
                    }
                }
            }
        }
    }

    /** This worker stops: unless it finished cleanly ({@link #finished()}), the others are told it failed. */
    @Override
    public void close() {
        if (!done) LONGS.setRelease(map, 0, 1L);
        if (rank == 0) {
            try {
                Files.deleteIfExists(file);          // the others keep their mapping; the name goes
            } catch (IOException ignored) {
                // a leftover file in /dev/shm is harmless and named after its stage
            }
        }
    }

    /** Called when training ended well: closing then tells no one of a failure. */
    void finished() {
        done = true;
    }
}
