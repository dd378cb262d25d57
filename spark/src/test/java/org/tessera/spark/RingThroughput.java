package org.tessera.spark;

import java.io.*;
import java.net.*;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;


/** The ring against a plain socket exchange of the same bytes on loopback (README, Data-parallel training): run its main from the test classpath. */
public class RingThroughput {
    public static void main(String[] a) throws Exception {
        int n = a.length > 0 ? Integer.parseInt(a[0]) : 10_000_000; // default: the large MLP's gradients, 40 MB
        java.nio.channels.ServerSocketChannel s0 = RingAllReduceTest.listen(), s1 = RingAllReduceTest.listen();
        List<InetSocketAddress> peers = List.of((InetSocketAddress) s0.getLocalAddress(), (InetSocketAddress) s1.getLocalAddress());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Future<RingAllReduce> f1 = pool.submit(() -> new RingAllReduce(1, peers, s1, Duration.ofSeconds(30), () -> false));
        RingAllReduce r0 = new RingAllReduce(0, peers, s0, Duration.ofSeconds(30), () -> false);
        RingAllReduce r1 = f1.get();
        float[] d0 = new float[n], d1 = new float[n];
        double[] ring = new double[9];
        for (int k = 0; k < 9; k++) {
            long t = System.nanoTime();
            Future<?> g = pool.submit(() -> r1.allReduce(d1));
            r0.allReduce(d0); g.get();
            ring[k] = (System.nanoTime() - t) / 1e6;
        }
        // plain socket copy: each side sends the same bytes a ring worker sends (2(n-1)/n of 40 MB = 40 MB) and receives as many
        ServerSocket ps = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        Future<Socket> acc = pool.submit(() -> ps.accept());
        Socket c = new Socket(InetAddress.getLoopbackAddress(), ps.getLocalPort()); Socket sv = acc.get();
        byte[] buf = new byte[n * 4], in = new byte[1 << 20];
        double[] copy = new double[9];
        for (int k = 0; k < 9; k++) {
            long t = System.nanoTime();
            Future<?> w1 = pool.submit(() -> { c.getOutputStream().write(buf); c.getOutputStream().flush(); return null; });
            Future<?> w2 = pool.submit(() -> { sv.getOutputStream().write(buf); sv.getOutputStream().flush(); return null; });
            for (Socket s : new Socket[]{sv, c}) { DataInputStream di = new DataInputStream(s.getInputStream()); int left = n * 4; while (left > 0) { int r = di.read(in, 0, Math.min(in.length, left)); left -= r; } }
            w1.get(); w2.get();
            copy[k] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ring); Arrays.sort(copy);
        System.out.printf("%.1f MB all-reduce, 2 workers on loopback: ring median %.2f ms (%.2f GB/s sent and received per worker); plain socket exchange of the same bytes %.2f ms%n",
            n * 4e-6, ring[4], 2 * n * 4e-9 / (ring[4] / 1e3), copy[4]);
        System.exit(0);
    }
}
