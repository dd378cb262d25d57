package org.tessera.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.jocl.cl_context;
import org.jocl.cl_program;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.TesseraException;
import org.tessera.backend.Buffer;
import org.tessera.testing.Requires;

/** The OpenCL runtime layer: program cache, build errors, buffer pool, dtype support. Needs an OpenCL device (PoCL in CI). */
class OpenClBackendTest {

    @BeforeAll
    static void needsOpenCl() {
        Requires.that(OpenClRuntime.unavailableReason() == null, "no OpenCL here: " + OpenClRuntime.unavailableReason());
    }

    private static ClDevice first() {
        return OpenClRuntime.devices().get(0);
    }

    private static cl_context context(ClDevice d) {
        return org.jocl.CL.clCreateContext(null, 1, new org.jocl.cl_device_id[] {d.id()}, null, null, null);
    }

    private static final String SOURCE = "__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2; }";

    @Test
    void programsAreCachedOnDiskAndACorruptEntryIsRebuilt(@TempDir Path dir) throws Exception {
        System.setProperty("tessera.opencl.cache", dir.toString());
        try {
            ClDevice d = first();
            cl_context ctx = context(d);
            ProgramCache cold = new ProgramCache(ctx, d);
            cl_program p = cold.get("test", SOURCE, "-cl-std=CL1.2");
            assertTrue(p == cold.get("test", SOURCE, "-cl-std=CL1.2"), "built once per context");
            List<Path> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(f -> f.toString().endsWith(".bin")).toList();
            }
            assertEquals(1, files.size(), "one binary stored");
            assertNotNull(new ProgramCache(ctx, d).get("test", SOURCE, "-cl-std=CL1.2"), "a second cache loads the binary");

            Files.write(files.get(0), new byte[] {1, 2, 3});          // corrupt the entry
            assertNotNull(new ProgramCache(ctx, d).get("test", SOURCE, "-cl-std=CL1.2"), "rebuilt from source");
            assertTrue(Files.size(files.get(0)) > 3, "the corrupt entry was rewritten");
            try (Stream<Path> s = Files.list(dir)) {
                assertTrue(s.noneMatch(f -> f.toString().endsWith(".tmp")), "no temporary files left behind");
            }
        } finally {
            System.clearProperty("tessera.opencl.cache");
        }
    }

    @Test
    void aFailedBuildCarriesTheBuildLog() {
        ClDevice d = first();
        ProgramCache cache = new ProgramCache(context(d), d);
        TesseraException e = assertThrows(TesseraException.class,
                () -> cache.get("broken", "__kernel void k(__global float* x) { x[0] = undefined_name; }", "-cl-std=CL1.2"));
        assertTrue(e.getMessage().contains("'broken' failed to build"), e.getMessage());
        assertTrue(e.getMessage().contains("undefined_name"), "the build log names the error: " + e.getMessage());
    }

    @Test
    void buffersComeBackToThePoolAndAreReused() {
        OpenClBackend be = new OpenClBackend(first());
        long before = be.memory().liveBuffers();
        Buffer a = be.allocate(DType.F32, 1000);
        assertEquals(before + 1, be.memory().liveBuffers());
        assertEquals(4096, ((ClBuffer) a).bytes, "4000 bytes round up to the 4 KiB bucket");
        be.release(a);
        assertEquals(before, be.memory().liveBuffers());
        assertEquals(4096, be.memory().pooledBytes());
        Buffer b = be.allocate(DType.F32, 900);                      // same bucket: the same cl_mem
        assertTrue(((ClBuffer) b).mem == ((ClBuffer) a).mem);
        be.write(b, new float[] {1, 2, 3});
        float[] back = new float[3];
        be.read(new org.tessera.backend.Strided(b, new int[] {3}, new int[] {1}, 0), back);
        assertArrayEquals(new float[] {1, 2, 3}, back);
        be.release(b);
    }

    @Test
    void outOfMemoryEmptiesThePoolRetriesOnceThenThrowsWithTheSizes() {
        OpenClBackend be = new OpenClBackend(first(), null, 64 << 10);     // inject: a 64 KiB device
        try {
            Buffer[] b = new Buffer[4];
            for (int i = 0; i < 4; i++) b[i] = be.allocate(DType.F32, 4096);   // 4 x 16 KiB: full
            be.release(b[3]);                                                  // 16 KiB pooled
            TesseraException e = assertThrows(TesseraException.class, () -> be.allocate(DType.F32, 8192));
            assertTrue(e.getMessage().contains("could not allocate 32768 bytes"), e.getMessage());
            assertTrue(e.getMessage().contains("after releasing 16384 pooled bytes"), e.getMessage());
            assertTrue(e.getMessage().contains("49152 bytes in 3 live buffers"), e.getMessage());
            assertEquals(0, be.memory().pooledBytes(), "the failed attempt emptied the pool");
            be.release(b[2]);
            be.release(b[1]);                                                  // 32 live + 32 pooled
            Buffer big = be.allocate(DType.F32, 8192);                        // fails once, trims, then fits
            assertEquals(new org.tessera.backend.MemoryStats(2, 49152, 0, 65536), be.memory());   // the peak: 4 x 16 KiB
            be.release(big);
            be.release(b[0]);
            assertEquals(0, be.memory().liveBuffers());
        } finally {
            be.close();
        }
    }

    @Test
    void closeReleasesEverythingAndRefusesLaterUse() {
        OpenClBackend be = new OpenClBackend(first());
        Buffer x = be.allocate(DType.F32, 4);
        be.write(x, new float[] {1, 2, 3, 4});
        org.tessera.backend.Strided v = new org.tessera.backend.Strided(x, new int[] {4}, new int[] {1}, 0);
        be.unary(org.tessera.backend.UnaryOp.NEG, 0, 0, v, v);               // builds a program and a kernel
        float[] back = new float[4];
        be.read(v, back);
        assertArrayEquals(new float[] {-1, -2, -3, -4}, back);
        be.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> be.allocate(DType.F32, 4));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> be.unary(org.tessera.backend.UnaryOp.NEG, 0, 0, v, v));
        be.release(x);                                // a tensor closed after its backend: freed, not pooled
        assertEquals(0, be.memory().liveBuffers());
        assertEquals(0, be.memory().liveBytes() + be.memory().pooledBytes());
        be.close();                                   // idempotent
    }

    @Test
    void withTheProfilerOnKernelsAreTimedOnTheDevice() {
        org.tessera.profile.Profiler.enable();
        OpenClBackend be = new OpenClBackend(first());          // reads the profiler's state when it is made
        try {
            org.tessera.profile.Profiler.reset();
            Buffer x = be.allocate(DType.F32, 1 << 16);
            org.tessera.backend.Strided v = new org.tessera.backend.Strided(x, new int[] {1 << 16}, new int[] {1}, 0);
            be.fill(v, 2);
            be.unary(org.tessera.backend.UnaryOp.TANH, 0, 0, v, v);
            List<org.tessera.profile.Profiler.Entry> e = org.tessera.profile.Profiler.snapshot();
            assertTrue(e.stream().anyMatch(r -> r.device().equals("opencl:" + first().index()) && r.name().equals("kernel unary_dense_tanh")
                    && r.calls() == 1 && r.nanos() > 0), org.tessera.profile.Profiler.report(10));
            assertTrue(e.stream().anyMatch(r -> r.name().equals("kernel fill")), org.tessera.profile.Profiler.report(10));
            be.release(x);
        } finally {
            org.tessera.profile.Profiler.disable();
            org.tessera.profile.Profiler.reset();
            be.close();
        }
    }

    @Test
    void theMemoryLimitPropertyParsesSizes() {
        try {
            System.setProperty("tessera.opencl.memoryLimit", "512m");
            assertEquals(512L << 20, ClBufferPool.configuredLimit());
            System.setProperty("tessera.opencl.memoryLimit", "2g");
            assertEquals(2L << 30, ClBufferPool.configuredLimit());
            System.setProperty("tessera.opencl.memoryLimit", "lots");
            TesseraException e = assertThrows(TesseraException.class, ClBufferPool::configuredLimit);
            assertTrue(e.getMessage().contains("'lots'"), e.getMessage());
        } finally {
            System.clearProperty("tessera.opencl.memoryLimit");
        }
        assertEquals(Long.MAX_VALUE, ClBufferPool.configuredLimit());
    }

    @Test
    void f64OnADeviceWithoutFp64IsRefusedClearly() {
        ClDevice d = first();
        ClDevice noFp64 = new ClDevice(d.index(), d.platform(), d.id(), d.name(), d.platformName(), d.gpu(), d.computeUnits(),
                d.globalMemory(), false, d.driverVersion(), d.correctlyRoundedDivideSqrt(), d.limits());
        TesseraException e = assertThrows(TesseraException.class, () -> new OpenClBackend(noFp64).allocate(DType.F64, 4));
        assertTrue(e.getMessage().contains("cl_khr_fp64"), e.getMessage());
    }

    @Test
    void broadcastRowsTakeTheDenseBinaryKernel() {
        // a [4] bias seen as [3, 4]: stride 0 along rows, the repeated block is the row
        assertEquals(4, OpenClBackend.repeatedBlock(new org.tessera.backend.Strided(null, new int[] {3, 4}, new int[] {0, 1}, 2)));
        // [2, 4] repeated along a leading dim of 3: a block of 8
        assertEquals(8, OpenClBackend.repeatedBlock(new org.tessera.backend.Strided(null, new int[] {3, 2, 4}, new int[] {0, 4, 1}, 0)));
        assertEquals(0, OpenClBackend.repeatedBlock(new org.tessera.backend.Strided(null, new int[] {3, 4}, new int[] {4, 1}, 0)));
        assertEquals(1, OpenClBackend.repeatedBlock(new org.tessera.backend.Strided(null, new int[] {3, 4}, new int[] {0, 0}, 5)), "a scalar");
        // a column broadcast along the last dim, and a transpose, are not repeated blocks
        assertEquals(-1, OpenClBackend.repeatedBlock(new org.tessera.backend.Strided(null, new int[] {3, 4}, new int[] {1, 0}, 0)));
        assertEquals(-1, OpenClBackend.repeatedBlock(new org.tessera.backend.Strided(null, new int[] {3, 4}, new int[] {1, 3}, 0)));
        assertEquals(-1, OpenClBackend.repeatedBlock(new org.tessera.backend.Strided(null, new int[] {3, 2, 4}, new int[] {4, 0, 1}, 0)));
    }

    @Test
    void tiledColumnSumsMatchTheOneWorkItemKernel() {
        int rows = 37, cols = 45;   // neither a multiple of the 32 x 8 tile
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = org.tessera.Rng.uniform32(3, i) - 0.5f;
        double[] want = new double[cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) want[c] += x[r * cols + c];
        String saved = System.getProperty("tessera.opencl.columnSums"), outputs = System.getProperty("tessera.opencl.columnSumOutputs");
        for (String kernel : List.of("tiled", "items")) {
            System.setProperty("tessera.opencl.columnSums", kernel);
            System.setProperty("tessera.opencl.columnSumOutputs", "1");
            OpenClBackend be = new OpenClBackend(first());
            try {
                Buffer in = be.allocate(DType.F32, x.length), out = be.allocate(DType.F32, cols);
                be.write(in, x);
                for (org.tessera.backend.ReduceOp op : List.of(org.tessera.backend.ReduceOp.SUM, org.tessera.backend.ReduceOp.MEAN)) {
                    be.reduce(op, new org.tessera.backend.Strided(in, new int[] {rows, cols}, new int[] {cols, 1}, 0),
                            new org.tessera.backend.Strided(out, new int[] {1, cols}, new int[] {cols, 1}, 0));
                    float[] got = new float[cols];
                    be.read(new org.tessera.backend.Strided(out, new int[] {cols}, new int[] {1}, 0), got);
                    double scale = op == org.tessera.backend.ReduceOp.MEAN ? 1.0 / rows : 1;
                    for (int c = 0; c < cols; c++) assertEquals(want[c] * scale, got[c], 1e-5, kernel + " " + op + " column " + c);
                }
            } finally {
                be.close();
                restore("tessera.opencl.columnSums", saved);
                restore("tessera.opencl.columnSumOutputs", outputs);
            }
        }
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}
