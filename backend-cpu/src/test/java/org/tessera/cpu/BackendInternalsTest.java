package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.backend.Strided;

class BackendInternalsTest {

    @Test
    void parallelRangesCoverEveryIndexOnce() {
        Parallel p = new Parallel(2);
        for (int n : new int[] {0, 1, 7, 1000, 100_003}) {
            for (int grain : new int[] {1, 64, 1 << 20}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(n, 1));
                p.forRange(n, grain, (s, e) -> {
                    for (int i = s; i < e; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "n=" + n + " grain=" + grain + " index " + i);
            }
        }
    }

    @Test
    void layoutMergesDimsThatEveryOperandStepsThroughAsOne() {
        float[] data = new float[24];
        CpuBuffer buf = new CpuBuffer(DType.F32, data, 24);
        Strided dense = new Strided(buf, new int[] {2, 3, 4}, new int[] {12, 4, 1}, 0);
        Strided broadcastRow = new Strided(buf, new int[] {2, 3, 4}, new int[] {0, 0, 1}, 0);
        Strided transposed = new Strided(buf, new int[] {2, 3, 4}, new int[] {12, 1, 3}, 0);
        assertTrue(Layout.of(dense, dense).isDense(), "dense operands are read by offset, no walk");
        assertArrayEquals(new int[] {6, 4}, Layout.of(dense, broadcastRow).shape());
        assertArrayEquals(new int[] {2, 3, 4}, Layout.of(dense, transposed).shape());
        Strided unitDims = new Strided(buf, new int[] {1, 4, 1}, new int[] {4, 1, 1}, 0);
        Strided repeated = new Strided(buf, new int[] {1, 4, 1}, new int[] {0, 0, 1}, 0);
        assertArrayEquals(new int[] {4}, Layout.of(unitDims, repeated).shape(), "size-1 dims are dropped");
    }

    @Test
    void chunksWalkStridedViewsInRowMajorOrder() {
        float[] data = new float[12];
        for (int i = 0; i < 12; i++) data[i] = i;
        // the transpose of a [3, 4] matrix, read from element 2 across row boundaries
        int[] shape = {4, 3}, strides = {1, 4};
        double[] out = new double[7];
        Chunks.read(data, shape, strides, 0, 2, 7, out);
        assertArrayEquals(new double[] {8, 1, 5, 9, 2, 6, 10}, out);
        Chunks.write(data, shape, strides, 0, 2, 7, new double[] {-1, -2, -3, -4, -5, -6, -7});
        assertEquals(-1, data[8]);
        assertEquals(-7, data[10]);
        assertEquals(0, data[0]);
    }

    @Test
    void thePoolReusesOnlyLargeArraysOfTheSameSizeAndDtypeWithinItsCap() {
        BufferPool pool = new BufferPool(8L * BufferPool.MIN_ELEMENTS * 4);
        float[] big = new float[BufferPool.MIN_ELEMENTS];
        pool.give(DType.F32, big, big.length);
        assertNull(pool.take(DType.F64, big.length));
        assertNull(pool.take(DType.F32, big.length + 1));
        assertSame(big, pool.take(DType.F32, big.length));
        assertNull(pool.take(DType.F32, big.length), "an array is handed out once");
        pool.give(DType.F32, new float[16], 16);
        assertEquals(0, pool.pooledBytes(), "small arrays are left to the GC");
        for (int i = 0; i < 10; i++) pool.give(DType.F32, new float[BufferPool.MIN_ELEMENTS * 2], BufferPool.MIN_ELEMENTS * 2);
        assertEquals(8L * BufferPool.MIN_ELEMENTS * 4, pool.pooledBytes(), "the cap holds");
    }
}
