package org.tessera.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

/** The OpenCL runtime layer: program cache, build errors, buffer pool, dtype support. Needs an OpenCL device (PoCL in CI). */
class OpenClBackendTest {

    @BeforeAll
    static void needsOpenCl() {
        assumeTrue(OpenClRuntime.unavailableReason() == null, () -> "no OpenCL here: " + OpenClRuntime.unavailableReason());
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
        long before = be.liveBuffers();
        Buffer a = be.allocate(DType.F32, 1000);
        assertEquals(before + 1, be.liveBuffers());
        assertEquals(4096, ((ClBuffer) a).bytes, "4000 bytes round up to the 4 KiB bucket");
        be.release(a);
        assertEquals(before, be.liveBuffers());
        Buffer b = be.allocate(DType.F32, 900);                      // same bucket: the same cl_mem
        assertTrue(((ClBuffer) b).mem == ((ClBuffer) a).mem);
        be.write(b, new float[] {1, 2, 3});
        float[] back = new float[3];
        be.read(new org.tessera.backend.Strided(b, new int[] {3}, new int[] {1}, 0), back);
        assertArrayEquals(new float[] {1, 2, 3}, back);
        be.release(b);
    }

    @Test
    void f64OnADeviceWithoutFp64IsRefusedClearly() {
        ClDevice d = first();
        ClDevice noFp64 = new ClDevice(d.index(), d.platform(), d.id(), d.name(), d.platformName(), d.gpu(), d.computeUnits(),
                d.globalMemory(), false, d.driverVersion());
        TesseraException e = assertThrows(TesseraException.class, () -> new OpenClBackend(noFp64).allocate(DType.F64, 4));
        assertTrue(e.getMessage().contains("cl_khr_fp64"), e.getMessage());
    }
}
