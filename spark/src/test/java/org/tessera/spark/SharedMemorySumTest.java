package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The shared-memory sum of workers on one host: the ring's results, in pieces larger than a slot, and failures that stop the others. */
class SharedMemorySumTest {
    @TempDir
    Path dir;

    interface Body<T> {
        T run(SharedMemorySum sum) throws Exception;
    }

    <T> List<T> workers(int n, int slotFloats, Body<T> body) throws Exception {
        Path file = dir.resolve("sum");
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                fs.add(pool.submit(() -> {
                    RANK.set(rank);
                    try (SharedMemorySum s = new SharedMemorySum(rank, n, file, slotFloats, Duration.ofSeconds(30), () -> false)) {
                        T out = body.run(s);
                        s.finished();
                        return out;
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) out.add(f.get());
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "{0} workers, slots of {1} floats")
    @CsvSource({"2, 1000", "3, 1000", "2, 1000000", "4, 333"})
    void everyWorkerEndsWithWhatTheRingGives(int n, int slot) throws Exception {
        int[] lengths = {5, 0, 2400, 1, 0, 7, 1001};      // pieces cross segments and slots
        List<float[][]> results = workers(n, slot, s -> {
            float[][] segs = segments(RANK.get(), lengths);
            for (int k = 0; k < 3; k++) s.allReduce(segs);      // several calls in a row, both regions used
            return segs;
        });
        List<float[][]> ring = RingAllReduceTest.ring(n, Duration.ofSeconds(30), r -> {
            float[][] segs = segments(r.rank(), lengths);
            for (int k = 0; k < 3; k++) r.allReduce(segs);
            return segs;
        });
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < lengths.length; k++) {
                float[] want = ring.get(0)[k], got = results.get(r)[k];
                if (n == 2) assertArrayEquals(want, got, "two workers: a + b exactly, worker " + r + " segment " + k);
                else for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-3f * Math.max(1, Math.abs(want[i])), "worker " + r);
            }
        }
        assertTrue(Files.notExists(dir.resolve("sum")), "worker 0 removes the file");
    }

    private static final ThreadLocal<Integer> RANK = new ThreadLocal<>();

    static float[][] segments(int rank, int[] lengths) {
        float[][] segs = new float[lengths.length][];
        float[] whole = RingAllReduceTest.data(rank, java.util.Arrays.stream(lengths).sum());
        for (int k = 0, at = 0; k < lengths.length; at += lengths[k++]) segs[k] = java.util.Arrays.copyOfRange(whole, at, at + lengths[k]);
        return segs;
    }

    @Test
    void aWorkerThatFailsStopsTheOthersAtOnce() throws Exception {
        Path file = dir.resolve("abort");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> failing = pool.submit(() -> {
                try (SharedMemorySum s = new SharedMemorySum(1, 2, file, 100, Duration.ofSeconds(60), () -> false)) {
                    Thread.sleep(200);           // then closes without finished(): its task died
                }
                return null;
            });
            long t0 = System.nanoTime();
            try (SharedMemorySum s = new SharedMemorySum(0, 2, file, 100, Duration.ofSeconds(60), () -> false)) {
                var e = assertThrows(IllegalStateException.class, () -> s.allReduce(new float[][] {new float[10]}));
                assertTrue(e.getMessage().contains("a worker on this host failed"), e.getMessage());
            }
            failing.get();
            assertTrue((System.nanoTime() - t0) / 1e9 < 10, "well before the 60 s timeout");
        } finally {
            pool.shutdownNow();
        }
    }
}
