package org.tessera.spark;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Sums float arrays across workers over TCP, as NCCL and Horovod do: a ring (each worker sends to the next and
 * receives from the previous), a reduce-scatter (after n-1 rounds each worker holds the full sum of one n-th of the
 * array) and then an all-gather (n-1 more rounds pass the summed n-ths around). Each worker sends and receives
 * 2(n-1)/n of the array, whatever n: the bandwidth-optimal all-reduce.
 *
 * <p>Both links of a worker are non-blocking channels served by one loop: it writes to the next worker and reads
 * from the previous one as each is ready, through direct buffers that the floats enter and leave in bulk, so neither
 * direction waits for the other and no two workers wait on each other's full socket buffers. A peer that sends
 * nothing within the timeout, or whose connection breaks, fails the call with a message naming it; the loop wakes
 * every {@value #POLL_MILLIS} ms to check for cancellation (a killed Spark task stops waiting).
 *
 * <p>The summation order of an element depends only on its position and n, so runs are deterministic; with two
 * workers every element is a + b, the same as an in-process sum.
 */
public final class RingAllReduce implements AutoCloseable {
    /** Bytes staged per direction: 1 MiB, large enough for full-speed TCP, small enough to pipeline. */
    static final int PIECE_BYTES = 1 << 20;
    private static final int POLL_MILLIS = 500;

    private final int rank, size;
    private final String nextName, prevName;
    private final SocketChannel next, prev;
    private final Selector selector;
    private final long timeoutNanos;
    private final BooleanSupplier cancelled;
    private final ByteBuffer sendBuf = ByteBuffer.allocateDirect(PIECE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer recvBuf = ByteBuffer.allocateDirect(PIECE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final float[] received = new float[PIECE_BYTES / 4];

    /**
     * Joins the ring as worker {@code rank} of {@code peers.size()}: connects to the next worker's address (retrying
     * until {@code timeout}, as it may not listen yet) and accepts the previous one on {@code server}, which listens at
     * {@code peers.get(rank)}. {@code cancelled} is polled while waiting.
     */
    public RingAllReduce(int rank, List<InetSocketAddress> peers, ServerSocketChannel server, Duration timeout, BooleanSupplier cancelled)
            throws IOException {
        this.size = peers.size();
        if (rank < 0 || rank >= size) throw new IllegalArgumentException("rank " + rank + " is not one of the " + size + " workers");
        this.rank = rank;
        this.timeoutNanos = timeout.toNanos();
        this.cancelled = cancelled;
        int nextRank = (rank + 1) % size, prevRank = (rank + size - 1) % size;
        this.nextName = "worker " + nextRank + " (" + peers.get(nextRank) + ")";
        this.prevName = "worker " + prevRank + " (" + peers.get(prevRank) + ")";
        if (size == 1) {
            next = prev = null;
            selector = null;
            return;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        SocketChannel n = null, p = null;
        Selector sel = null;
        try {
            n = connect(peers.get(nextRank), deadline);
            sel = Selector.open();
            p = accept(server, sel, deadline);
            for (SocketChannel c : new SocketChannel[] {n, p}) {
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                c.configureBlocking(false);
            }
            next = n;
            prev = p;
            selector = sel;
            // hello: each worker tells the next its rank, so a miswired ring fails here and not with wrong sums
            ByteBuffer hello = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, rank);
            ByteBuffer got = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            pump(hello, got, null, "its rank");
            int from = got.getInt(0);
            if (from != prevRank) {
                throw new IOException("worker " + rank + " expected worker " + prevRank + " to connect, but worker " + from + " did ("
                        + p.getRemoteAddress() + "): the workers disagree on the ring's order");
            }
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable c : new AutoCloseable[] {n, p, sel}) closeQuietly(c);
            throw e;
        }
    }

    private SocketChannel connect(InetSocketAddress to, long deadline) throws IOException {
        IOException last = null;
        while (System.nanoTime() < deadline) {
            checkCancelled("connecting to " + nextName);
            SocketChannel c = SocketChannel.open();
            try {
                c.socket().connect(to, POLL_MILLIS);
                return c;
            } catch (IOException e) {
                c.close();
                last = e;
                sleep(100);
            }
        }
        throw new IOException("worker " + rank + " could not reach " + nextName + " within " + seconds(timeoutNanos) + ": "
                + (last == null ? "timed out" : last.getMessage()), last);
    }

    private SocketChannel accept(ServerSocketChannel server, Selector sel, long deadline) throws IOException {
        server.configureBlocking(false);
        SelectionKey key = server.register(sel, SelectionKey.OP_ACCEPT);
        try {
            while (true) {
                checkCancelled("waiting for " + prevName + " to connect");
                SocketChannel c = server.accept();
                if (c != null) return c;
                if (System.nanoTime() > deadline) {
                    throw new IOException("worker " + rank + ": " + prevName + " did not connect within " + seconds(timeoutNanos));
                }
                sel.select(POLL_MILLIS);
                sel.selectedKeys().clear();
            }
        } finally {
            key.cancel();
            sel.selectNow();          // flush the cancelled key, so the channels can go non-blocking on this selector
        }
    }

    public int rank() {
        return rank;
    }

    public int size() {
        return size;
    }

    /** Replaces {@code data} on every worker by the sum of every worker's {@code data} (same length everywhere). */
    public void allReduce(float[] data) {
        allReduce(new float[][] {data});
    }

    /**
     * The same over the concatenation of {@code segments} (each worker's segments of the same lengths, in the same
     * order), without concatenating them: one array per parameter's gradient goes into the ring as it is.
     */
    public void allReduce(float[][] segments) {
        if (size == 1) return;
        Segments data = new Segments(segments);
        int n = size;
        try {
            // reduce-scatter: in round s send n-th (rank - s), receive n-th (rank - s - 1) and add it in
            for (int s = 0; s < n - 1; s++) exchange(data, chunk(rank - s), chunk(rank - s - 1), true);
            // all-gather: worker rank now holds the sum of n-th (rank + 1); pass the sums around
            for (int s = 0; s < n - 1; s++) exchange(data, chunk(rank + 1 - s), chunk(rank - s), false);
        } catch (IOException e) {
            throw new UncheckedIOException("all-reduce of " + data.length + " floats on worker " + rank + " of " + n + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every worker's {@code mine}, in rank order, on every worker: n-1 rounds pass each message one step around the
     * ring (small messages: the random streams the workers report at each epoch's end).
     */
    public byte[][] allGather(byte[] mine) {
        byte[][] all = new byte[size][];
        all[rank] = mine.clone();
        try {
            for (int s = 0; s < size - 1; s++) {
                byte[] out = all[chunk(rank - s)];
                ByteBuffer send = ByteBuffer.allocate(4 + out.length).order(ByteOrder.LITTLE_ENDIAN).putInt(out.length).put(out).flip();
                ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                pump(send, length, null, "a message's length");
                // the length arrives first; the body may already follow it in the socket, so a second pump reads it alone
                ByteBuffer body = ByteBuffer.allocate(length.getInt(0));
                pump(ByteBuffer.allocate(0), body, null, "a message");
                all[chunk(rank - s - 1)] = body.array();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("all-gather on worker " + rank + " of " + size + ": " + e.getMessage(), e);
        }
        return all;
    }

    private int chunk(int c) {
        return Math.floorMod(c, size);
    }

    /** Sends n-th {@code sendChunk} of {@code data} to the next worker while n-th {@code receiveChunk} arrives from the previous one. */
    private void exchange(Segments data, int sendChunk, int receiveChunk, boolean add) throws IOException {
        long len = data.length;
        long sFrom = len * sendChunk / size, sTo = len * (sendChunk + 1) / size;
        long rFrom = len * receiveChunk / size, rTo = len * (receiveChunk + 1) / size;
        FloatSource source = new FloatSource(data, sFrom, sTo);
        FloatSink sink = new FloatSink(data, rFrom, rTo, add);
        sendBuf.clear().limit(0);
        recvBuf.clear();
        pump(sendBuf, recvBuf, new Stream() {
            @Override public boolean refill(ByteBuffer b) { return source.refill(b); }
            @Override public int pendingBytes() { return sink.pendingBytes(); }
            @Override public boolean drain(ByteBuffer b) { return sink.drain(b); }
        }, "its part of the sum");
    }

    /** Refills and drains the staging buffers of a transfer larger than they are. */
    private interface Stream {
        /** Puts more bytes to send into {@code b} (cleared); false when everything was sent. */
        boolean refill(ByteBuffer b);

        /** Bytes still to arrive, counting those staged but not drained: reads stop there (what follows is the next call's). */
        int pendingBytes();

        /** Takes the complete floats out of {@code b} (flipped), leaving the rest; false when everything arrived. */
        boolean drain(ByteBuffer b);
    }

    /** Arrays seen as one: element i of the concatenation is found by a walk that follows the caller's position. */
    private static final class Segments {
        final float[][] arrays;
        final long[] starts;
        final long length;

        Segments(float[][] arrays) {
            this.arrays = arrays;
            starts = new long[arrays.length + 1];
            for (int k = 0; k < arrays.length; k++) starts[k + 1] = starts[k] + arrays[k].length;
            length = starts[arrays.length];
        }

        /** The segment holding element {@code at} (at < length). */
        int segmentOf(long at) {
            int k = java.util.Arrays.binarySearch(starts, at);
            k = k >= 0 ? k : -k - 2;
            while (arrays[k].length == 0 || at >= starts[k + 1]) k++;   // skip empty segments sharing a start
            return k;
        }
    }

    /** Elements [at, to) of the segments, into the staging buffer a piece at a time. */
    private static final class FloatSource {
        final Segments data;
        long at;
        final long to;

        FloatSource(Segments data, long from, long to) {
            this.data = data;
            this.at = from;
            this.to = to;
        }

        boolean refill(ByteBuffer b) {
            if (at >= to) return false;
            b.clear();
            java.nio.FloatBuffer f = b.asFloatBuffer();
            while (at < to && f.hasRemaining()) {
                int k = data.segmentOf(at), off = (int) (at - data.starts[k]);
                int count = (int) Math.min(Math.min(f.remaining(), data.arrays[k].length - off), to - at);
                f.put(data.arrays[k], off, count);
                at += count;
            }
            b.limit(f.position() * 4);
            return true;
        }
    }

    /** Elements [at, to) of the segments, added to or replaced by the floats that arrive. */
    private final class FloatSink {
        final Segments data;
        long at;
        final long to;
        final boolean add;

        FloatSink(Segments data, long from, long to, boolean add) {
            this.data = data;
            this.at = from;
            this.to = to;
            this.add = add;
        }

        int pendingBytes() {
            return (int) Math.min(Integer.MAX_VALUE, (to - at) * 4);
        }

        boolean drain(ByteBuffer b) {
            java.nio.FloatBuffer f = b.asFloatBuffer();
            int complete = (int) Math.min(f.remaining(), to - at), taken = 0;
            while (taken < complete) {
                int k = data.segmentOf(at), off = (int) (at - data.starts[k]);
                int count = Math.min(complete - taken, data.arrays[k].length - off);
                float[] target = data.arrays[k];
                if (add) {
                    f.get(received, 0, count);
                    for (int i = 0; i < count; i++) target[off + i] += received[i];
                } else {
                    f.get(target, off, count);
                }
                taken += count;
                at += count;
            }
            b.position(b.position() + taken * 4);
            return at < to;
        }
    }

    /**
     * Writes {@code out} to the next worker and fills {@code in} from the previous one, each as its socket is ready;
     * with a {@code stream}, {@code out} is refilled and {@code in} drained until the stream says both are done.
     */
    private void pump(ByteBuffer out, ByteBuffer in, Stream stream, String what) throws IOException {
        long deadline = System.nanoTime() + timeoutNanos;
        boolean sending = true, receiving = true;
        while (sending || receiving) {
            boolean progress = false;
            if (sending) {
                if (!out.hasRemaining() && (stream == null || !stream.refill(out))) {
                    sending = false;
                } else {
                    try {
                        if (next.write(out) > 0) {
                            progress = true;
                            deadline = System.nanoTime() + timeoutNanos;
                        }
                    } catch (IOException e) {
                        throw new IOException("worker " + rank + " could not send to " + nextName + ": " + e.getMessage(), e);
                    }
                    if (!out.hasRemaining() && stream == null) sending = false;
                }
            }
            if (receiving) {
                int r;
                if (stream != null) in.limit(Math.min(in.capacity(), stream.pendingBytes()));
                try {
                    r = prev.read(in);
                } catch (IOException e) {
                    throw new IOException("worker " + rank + ": the connection from " + prevName + " broke: " + e.getMessage(), e);
                }
                if (r < 0) throw new EOFException("worker " + rank + ": " + prevName + " closed the connection (did it fail?)");
                if (r > 0) {
                    progress = true;
                    deadline = System.nanoTime() + timeoutNanos;
                }
                if (stream == null) {
                    receiving = in.hasRemaining();
                } else {
                    in.flip();
                    receiving = stream.drain(in);
                    in.compact();
                }
            }
            if (!progress && (sending || receiving)) {
                checkCancelled("waiting for " + prevName);
                if (System.nanoTime() > deadline) {
                    throw new IOException("worker " + rank + ": timed out after " + seconds(timeoutNanos) + " waiting for " + prevName + " to send " + what);
                }
                next.register(selector, sending ? SelectionKey.OP_WRITE : 0);
                prev.register(selector, receiving ? SelectionKey.OP_READ : 0);
                selector.select(POLL_MILLIS);
                selector.selectedKeys().clear();
            }
        }
    }

    private void checkCancelled(String doing) throws IOException {
        if (cancelled.getAsBoolean()) throw new IOException("worker " + rank + " was cancelled while " + doing);
    }

    private static String seconds(long nanos) {
        return Duration.ofNanos(nanos).toSeconds() + " s";
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // closing after a failure: the first error is the one to report
        }
    }

    @Override
    public void close() {
        closeQuietly(selector);
        closeQuietly(next);
        closeQuietly(prev);
    }
}
