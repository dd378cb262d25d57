package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The TCP ring on loopback: sums on every worker, any worker count and length, and failures that name the peer. */
class RingAllReduceTest {

    /** Runs {@code body} as workers 0..n-1 of one ring on loopback, each on its own thread; their results in rank order. */
    static <T> List<T> ring(int n, Duration timeout, RingBody<T> body) throws Exception {
        List<ServerSocketChannel> servers = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ServerSocketChannel s = listen();
            servers.add(s);
            addresses.add((InetSocketAddress) s.getLocalAddress());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> results = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                results.add(pool.submit(() -> {
                    try (ServerSocketChannel server = servers.get(rank);
                         RingAllReduce ring = new RingAllReduce(rank, addresses, server, timeout, () -> false)) {
                        return body.run(ring);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : results) out.add(f.get());
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static ServerSocketChannel listen() throws IOException {
        return ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    interface RingBody<T> {
        T run(RingAllReduce ring) throws Exception;
    }

    static float[] data(int rank, int length) {
        Random random = new Random(rank * 31L + length);
        float[] d = new float[length];
        for (int i = 0; i < length; i++) d[i] = (float) random.nextGaussian();
        return d;
    }

    @ParameterizedTest(name = "{0} workers, {1} floats")
    @CsvSource({"1, 10", "2, 1", "2, 1000", "3, 7", "3, 1000003", "4, 600000", "5, 3"})
    void everyWorkerEndsWithTheSum(int n, int length) throws Exception {
        List<float[]> results = ring(n, Duration.ofSeconds(30), r -> {
            float[] d = data(r.rank(), length);
            r.allReduce(d);
            return d;
        });
        double[] exact = new double[length];
        for (int r = 0; r < n; r++) {
            float[] d = data(r, length);
            for (int i = 0; i < length; i++) exact[i] += d[i];
        }
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < length; i++) assertEquals(exact[i], results.get(r)[i], 1e-5, "worker " + r + " element " + i);
            // every worker holds the very same floats (each n-th was summed once, then copied)
            assertArrayEquals(results.get(0), results.get(r), "worker " + r + " against worker 0");
        }
    }

    @ParameterizedTest(name = "{0} workers")
    @CsvSource({"2", "3"})
    void segmentsAreSummedAsTheirConcatenation(int n) throws Exception {
        int[] lengths = {5, 0, 300000, 1, 0, 7, 262145};      // empty ones, and pieces that straddle the staging buffer
        List<float[][]> results = ring(n, Duration.ofSeconds(30), r -> {
            float[][] segs = new float[lengths.length][];
            float[] whole = data(r.rank(), java.util.Arrays.stream(lengths).sum());
            for (int k = 0, at = 0; k < lengths.length; at += lengths[k++]) segs[k] = java.util.Arrays.copyOfRange(whole, at, at + lengths[k]);
            r.allReduce(segs);
            return segs;
        });
        List<float[]> wholes = ring(n, Duration.ofSeconds(30), r -> {
            float[] whole = data(r.rank(), java.util.Arrays.stream(lengths).sum());
            r.allReduce(whole);
            return whole;
        });
        for (int r = 0; r < n; r++) {
            for (int k = 0, at = 0; k < lengths.length; at += lengths[k++]) {
                assertArrayEquals(java.util.Arrays.copyOfRange(wholes.get(0), at, at + lengths[k]), results.get(r)[k], "worker " + r + " segment " + k);
            }
        }
    }

    @Test
    void twoWorkersSumExactlyAsAnInProcessAdd() throws Exception {
        List<float[]> results = ring(2, Duration.ofSeconds(30), r -> {
            float[] d = data(r.rank(), 1001);
            r.allReduce(d);
            return d;
        });
        float[] a = data(0, 1001), b = data(1, 1001);
        for (int i = 0; i < a.length; i++) assertEquals(a[i] + b[i], results.get(0)[i], 0.0f, "element " + i);
    }

    @Test
    void manyCallsInARowStayInStep() throws Exception {
        List<float[]> results = ring(3, Duration.ofSeconds(30), r -> {
            float[] d = new float[2];
            for (int k = 1; k <= 200; k++) {
                d[0] = r.rank();
                d[1] = k;
                r.allReduce(d);
                if (d[0] != 3 || d[1] != 3 * k) throw new AssertionError("call " + k + " on worker " + r.rank() + ": " + d[0] + ", " + d[1]);
            }
            return d;
        });
        for (float[] d : results) assertArrayEquals(new float[] {3, 600}, d, 0);
    }

    @ParameterizedTest(name = "{0} workers")
    @CsvSource({"1", "2", "3", "4"})
    void allGatherHandsEveryWorkerEveryMessageInRankOrder(int n) throws Exception {
        List<byte[][]> results = ring(n, Duration.ofSeconds(30), r -> {
            float[] d = data(r.rank(), 1000);
            r.allReduce(d);                                           // interleaved with sums, as at an epoch's end
            byte[][] all = r.allGather(("worker " + r.rank() + " " + "x".repeat(r.rank() * 5000)).getBytes());
            r.allReduce(d);
            return all;
        });
        for (int r = 0; r < n; r++) {
            assertEquals(n, results.get(r).length);
            for (int k = 0; k < n; k++) assertEquals("worker " + k + " " + "x".repeat(k * 5000), new String(results.get(r)[k]), "on worker " + r);
        }
    }

    @Test
    void aPeerThatNeverListensIsNamed() throws Exception {
        ServerSocketChannel mine = listen();
        int deadPort;
        try (ServerSocketChannel dead = listen()) {
            deadPort = ((InetSocketAddress) dead.getLocalAddress()).getPort();
        }
        List<InetSocketAddress> peers = List.of((InetSocketAddress) mine.getLocalAddress(),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), deadPort));
        IOException e = assertThrows(IOException.class, () -> new RingAllReduce(0, peers, mine, Duration.ofSeconds(2), () -> false));
        assertTrue(e.getMessage().contains("could not reach worker 1 (") && e.getMessage().contains(":" + deadPort), e.getMessage());
        mine.close();
    }

    @Test
    void aPeerThatStopsMidwayFailsTheOthersWithItsName() throws Exception {
        List<String> outcomes = ring(2, Duration.ofSeconds(3), r -> {
            if (r.rank() == 1) return "left";          // worker 1 closes its ring (its task died) without reducing
            try {
                r.allReduce(new float[10]);
                return "no error";
            } catch (RuntimeException e) {
                return e.getMessage();
            }
        });
        // it finds out on its read (EOF) or its send (reset), and says which peer went away
        assertTrue(outcomes.get(0).contains("worker 1 ("), outcomes.get(0));
    }
}
