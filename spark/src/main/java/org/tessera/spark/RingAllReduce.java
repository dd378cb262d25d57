package org.tessera.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/**
 * Sums float arrays across workers over TCP, as NCCL and Horovod do: a ring (each worker sends to the next and
 * receives from the previous), a reduce-scatter (after n-1 rounds each worker holds the full sum of one n-th of the
 * array) and then an all-gather (n-1 more rounds pass the summed n-ths around). Each worker sends and receives
 * 2(n-1)/n of the array, whatever n: the bandwidth-optimal all-reduce. Pieces of at most {@link #PIECE_FLOATS} stream
 * while the next is read; a worker's send runs on its own thread so both directions of every link stay busy and no
 * two workers wait on each other's full socket buffers.
 *
 * <p>The summation order of an element depends only on its position and n, so runs are deterministic; with two
 * workers every element is a + b, the same as an in-process sum. A peer that does not answer within the timeout, or
 * whose connection breaks, fails the call with a message naming it.
 */
public final class RingAllReduce implements AutoCloseable {
    /** Floats per message: 1 MiB, large enough for full-speed TCP, small enough to pipeline. */
    static final int PIECE_FLOATS = 1 << 18;
    /** How often a blocked read wakes to check for cancellation. */
    private static final int POLL_MILLIS = 500;

    private final int rank, size;
    private final String nextName, prevName;
    private final Socket next, prev;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final long timeoutNanos;
    private final BooleanSupplier cancelled;
    private final ExecutorService sender;
    private final byte[] sendBytes = new byte[PIECE_FLOATS * 4], receiveBytes = new byte[PIECE_FLOATS * 4];
    private final float[] received = new float[PIECE_FLOATS];

    /**
     * Joins the ring as worker {@code rank} of {@code peers.size()}: connects to the next worker's address (retrying
     * until {@code timeout}, as it may not listen yet) and accepts the previous one on {@code server}, whose port is
     * {@code peers.get(rank)}. {@code cancelled} is polled while waiting (a killed Spark task stops waiting).
     */
    public RingAllReduce(int rank, List<InetSocketAddress> peers, ServerSocket server, Duration timeout, BooleanSupplier cancelled) throws IOException {
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
            out = null;
            in = null;
            sender = null;
            return;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        Socket n = null, p = null;
        try {
            n = connect(peers.get(nextRank), deadline);
            n.setTcpNoDelay(true);
            DataOutputStream o = new DataOutputStream(new BufferedOutputStream(n.getOutputStream(), 1 << 16));
            o.writeInt(rank);
            o.flush();
            p = accept(server, deadline);
            p.setTcpNoDelay(true);
            p.setSoTimeout(POLL_MILLIS);
            DataInputStream i = new DataInputStream(new BufferedInputStream(p.getInputStream(), 1 << 16));
            int hello = readInt(i, deadline, "its rank");
            if (hello != prevRank) {
                throw new IOException("worker " + rank + " expected worker " + prevRank + " to connect, but worker " + hello + " did ("
                        + p.getRemoteSocketAddress() + "): the workers disagree on the ring's order");
            }
            next = n;
            prev = p;
            out = o;
            in = i;
        } catch (IOException | RuntimeException e) {
            if (n != null) n.close();
            if (p != null) p.close();
            throw e;
        }
        sender = Executors.newSingleThreadExecutor(job -> {
            Thread t = new Thread(job, "tessera-ring-send-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    private Socket connect(InetSocketAddress to, long deadline) throws IOException {
        IOException last = null;
        while (System.nanoTime() < deadline) {
            checkCancelled("connecting to " + nextName);
            Socket s = new Socket();
            try {
                s.connect(to, POLL_MILLIS);
                return s;
            } catch (IOException e) {
                s.close();
                last = e;
                sleep(100);
            }
        }
        throw new IOException("worker " + rank + " could not reach " + nextName + " within " + seconds(timeoutNanos) + ": "
                + (last == null ? "timed out" : last.getMessage()), last);
    }

    private Socket accept(ServerSocket server, long deadline) throws IOException {
        server.setSoTimeout(POLL_MILLIS);
        while (true) {
            checkCancelled("waiting for " + prevName + " to connect");
            try {
                return server.accept();
            } catch (SocketTimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("worker " + rank + ": " + prevName + " did not connect within " + seconds(timeoutNanos));
                }
            }
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
        if (size == 1) return;
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

    /** [from, to) of n-th {@code c} (mod n) of an array of length len, set by {@link #exchange}. */
    private int chunk(int c) {
        return Math.floorMod(c, size);
    }

    private void exchange(float[] data, int sendChunk, int receiveChunk, boolean add) throws IOException {
        int len = data.length;
        int sFrom = (int) ((long) len * sendChunk / size), sTo = (int) ((long) len * (sendChunk + 1) / size);
        int rFrom = (int) ((long) len * receiveChunk / size), rTo = (int) ((long) len * (receiveChunk + 1) / size);
        Future<?> sent = sender.submit(() -> {
            send(data, sFrom, sTo);
            return null;
        });
        long deadline = System.nanoTime() + timeoutNanos;
        try {
            for (int at = rFrom; at < rTo; at += PIECE_FLOATS) {
                int count = Math.min(PIECE_FLOATS, rTo - at);
                readFully(receiveBytes, count * 4, deadline);
                ByteBuffer.wrap(receiveBytes, 0, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(received, 0, count);
                if (add) for (int i = 0; i < count; i++) data[at + i] += received[i];
                else System.arraycopy(received, 0, data, at, count);
            }
            sent.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("worker " + rank + " was interrupted during the all-reduce", e);
        } catch (ExecutionException e) {
            throw new IOException("worker " + rank + " could not send to " + nextName + ": " + e.getCause().getMessage(), e.getCause());
        } finally {
            sent.cancel(true);
        }
    }

    private void send(float[] data, int from, int to) throws IOException {
        for (int at = from; at < to; at += PIECE_FLOATS) {
            int count = Math.min(PIECE_FLOATS, to - at);
            ByteBuffer.wrap(sendBytes, 0, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(data, at, count);
            out.write(sendBytes, 0, count * 4);
        }
        out.flush();
    }

    private void readFully(byte[] buf, int n, long deadline) throws IOException {
        int got = 0;
        while (got < n) {
            try {
                int r = in.read(buf, got, n - got);
                if (r < 0) throw new EOFException("worker " + rank + ": " + prevName + " closed the connection (did it fail?)");
                got += r;
            } catch (SocketTimeoutException e) {
                checkCancelled("receiving from " + prevName);
                if (System.nanoTime() > deadline) {
                    throw new IOException("worker " + rank + ": timed out after " + seconds(timeoutNanos) + " waiting for " + prevName);
                }
            }
        }
    }

    private int readInt(DataInputStream i, long deadline, String what) throws IOException {
        while (true) {
            try {
                return i.readInt();
            } catch (SocketTimeoutException e) {
                checkCancelled("waiting for " + prevName + " to send " + what);
                if (System.nanoTime() > deadline) throw new IOException("worker " + rank + ": " + prevName + " sent nothing within " + seconds(timeoutNanos));
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

    @Override
    public void close() {
        if (sender != null) sender.shutdownNow();
        for (Socket s : new Socket[] {next, prev}) {
            if (s == null) continue;
            try {
                s.close();
            } catch (IOException ignored) {
                // closing: nothing to recover
            }
        }
    }
}
