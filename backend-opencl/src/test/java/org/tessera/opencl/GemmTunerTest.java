package org.tessera.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.TesseraException;
import org.tessera.testing.Requires;

/** The tuner's search, its verdicts and the tuning cache's rules (keyed files, atomic writes, corrupt entries re-tuned). */
class GemmTunerTest {
    @TempDir
    Path cache;
    private String savedCache, savedTune;

    @BeforeEach
    void privateCache() {
        Requires.that(OpenClRuntime.unavailableReason() == null, "no OpenCL here: " + OpenClRuntime.unavailableReason());
        savedCache = System.getProperty("tessera.opencl.cache");
        savedTune = System.getProperty("tessera.opencl.tune");
        System.setProperty("tessera.opencl.cache", cache.toString());
        System.setProperty("tessera.opencl.tune", "quick");
    }

    @AfterEach
    void restore() {
        restore("tessera.opencl.cache", savedCache);
        restore("tessera.opencl.tune", savedTune);
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }

    private static ClDevice device() {
        return OpenClRuntime.devices().get(0);
    }

    @Test
    void searchStartsWithTheDefaultAndPicksTheFastestCorrectCandidate() {
        OpenClBackend be = new OpenClBackend(device(), null, Long.MAX_VALUE);
        try {
            GemmClass c = GemmClass.of(DType.F32, false, true, 96, 80, 64);
            GemmTuner.Result r = new GemmTuner(be).tune(c, 96, 80, 64, GemmTuner.Mode.QUICK, Duration.ofSeconds(2), t -> {});
            assertEquals(GemmConfig.defaultFor(device()), r.trials().get(0).config(), "the default is always timed first");
            assertEquals(r.baseline(), r.trials().get(0).config());
            double best = r.trials().stream().filter(GemmTuner.Trial::ok).mapToDouble(GemmTuner.Trial::gflops).max().orElseThrow();
            assertEquals(best, r.winnerGflops());
            assertTrue(r.winnerGflops() >= r.baselineGflops());
            assertTrue(r.trials().size() >= 2, "a 2 s budget tries more than the default: " + r.trials());
        } finally {
            be.close();
        }
    }

    @Test
    void aWinnerIsStoredAndALaterBackendUsesItWithoutSearching() throws Exception {
        GemmClass c = GemmClass.of(DType.F32, false, false, 64, 64, 64);
        OpenClBackend first = new OpenClBackend(device(), null, Long.MAX_VALUE);
        GemmConfig won;
        try {
            won = first.gemmConfig(c, 64, 64, 64);
            Path file = first.tuneCache().file(c);
            assertTrue(Files.isRegularFile(file), "the winner is stored: " + file);
            assertTrue(Files.readString(file).contains("config=" + won));
        } finally {
            first.close();
        }
        // a planted winner the search would not produce: the second backend must take it as it is
        GemmConfig planted = new GemmConfig(2, 8, 4, 4, 2, false, 16, false, false);
        OpenClBackend second = new OpenClBackend(device(), null, Long.MAX_VALUE);
        try {
            second.tuneCache().store(c, new TuneCache.Entry(planted, 1.0, "64x64x64"));
            long start = System.nanoTime();
            assertEquals(planted, second.gemmConfig(c, 64, 64, 64));
            assertTrue(System.nanoTime() - start < 500_000_000L, "no search on a cache hit");
        } finally {
            second.close();
        }
    }

    @Test
    void aSearchReleasesWhatTheLosersBuiltAndKeepsWorking() {
        OpenClBackend be = new OpenClBackend(device(), null, Long.MAX_VALUE);
        try {
            GemmClass c = GemmClass.of(DType.F32, true, true, 96, 80, 64);
            GemmTuner.Result r = new GemmTuner(be).tune(c, 96, 80, 64, GemmTuner.Mode.QUICK, Duration.ofSeconds(2), t -> {});
            int built = be.gemmKernels(DType.F32);
            be.releaseLosers(c, r);
            assertTrue(r.trials().size() > 2 && be.gemmKernels(DType.F32) <= 2 && built > 2,
                    "kept the winner and the default only: " + built + " -> " + be.gemmKernels(DType.F32));
            // a released candidate builds again on its next use and still computes the right product
            GemmConfig loser = r.trials().stream().map(GemmTuner.Trial::config).filter(x -> !x.equals(r.winner())).findFirst().orElseThrow();
            int m = 5, k = 7, n = 3;
            float[] a = new float[k * m], b = new float[n * k], got = new float[m * n];
            for (int i = 0; i < a.length; i++) a[i] = i % 5 - 2;
            for (int i = 0; i < b.length; i++) b[i] = i % 3 - 1;
            org.tessera.backend.Buffer ba = be.allocate(DType.F32, a.length), bb = be.allocate(DType.F32, b.length), bc = be.allocate(DType.F32, got.length);
            be.write(ba, a);
            be.write(bb, b);
            be.matmul(loser, new org.tessera.backend.Strided(ba, new int[] {1, k, m}, new int[] {k * m, m, 1}, 0), true,
                    new org.tessera.backend.Strided(bb, new int[] {1, n, k}, new int[] {n * k, k, 1}, 0), true,
                    new org.tessera.backend.Strided(bc, new int[] {1, m, n}, new int[] {m * n, n, 1}, 0), 1, 0);
            be.read(new org.tessera.backend.Strided(bc, new int[] {m * n}, new int[] {1}, 0), got);
            be.release(ba);
            be.release(bb);
            be.release(bc);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float want = 0;
                    for (int p = 0; p < k; p++) want += a[p * m + i] * b[j * k + p];
                    assertEquals(want, got[i * n + j], 1e-5, loser + " C[" + i + "," + j + "] after its release");
                }
            }
        } finally {
            be.close();
        }
    }

    @Test
    void aShortSearchAgainStillTimesThePreviousWinner() {
        OpenClBackend be = new OpenClBackend(device(), null, Long.MAX_VALUE);
        try {
            GemmClass c = GemmClass.of(DType.F32, false, true, 96, 80, 64);
            GemmConfig previous = GemmConfig.searchSpace().stream().filter(x -> !x.equals(GemmConfig.defaultFor(device(), c)))
                    .filter(x -> x.fits(device().limits(), DType.F32)).skip(5).findFirst().orElseThrow();
            GemmTuner.Result r = new GemmTuner(be).tune(c, 96, 80, 64, GemmTuner.Mode.QUICK, Duration.ZERO, previous, t -> {});
            assertEquals(java.util.List.of(GemmConfig.defaultFor(device(), c), previous),
                    r.trials().stream().map(GemmTuner.Trial::config).toList(), "no budget: the default and the previous winner");
        } finally {
            be.close();
        }
    }

    @Test
    void aCorruptEntryIsTunedAgainAndOverwritten() throws Exception {
        GemmClass c = GemmClass.of(DType.F32, true, false, 80, 80, 80);
        OpenClBackend be = new OpenClBackend(device(), null, Long.MAX_VALUE);
        try {
            Path file = be.tuneCache().file(c);
            Files.createDirectories(file.getParent());
            Files.writeString(file, "config=tm=banana\n");
            assertNull(be.tuneCache().load(c), "an unreadable entry is no entry");
            GemmConfig cfg = be.gemmConfig(c, 80, 80, 80);
            assertNotNull(cfg);
            assertEquals(cfg, be.tuneCache().load(c).config(), "re-tuned and overwritten");
        } finally {
            be.close();
        }
    }

    @Test
    void theKeyChangesWithTheKernelSource() {
        TuneCache a = new TuneCache(device(), "kernel source v1"), b = new TuneCache(device(), "kernel source v2");
        GemmClass c = GemmClass.of(DType.F32, false, false, 512, 512, 512);
        assertFalse(a.file(c).equals(b.file(c)));
        assertEquals(a.file(c), new TuneCache(device(), "kernel source v1").file(c));
    }

    @Test
    void offRunsTheDefaultAndStoresNothing() {
        System.setProperty("tessera.opencl.tune", "off");
        OpenClBackend be = new OpenClBackend(device(), null, Long.MAX_VALUE);
        try {
            GemmClass c = GemmClass.of(DType.F32, false, false, 300, 300, 300);
            assertEquals(GemmConfig.defaultFor(device()), be.gemmConfig(c, 300, 300, 300));
            assertFalse(Files.exists(be.tuneCache().file(c)));
        } finally {
            be.close();
        }
    }

    @Test
    void productsTooSmallToTuneTakeTheInPlaceDefaultAndStoreNothing() {
        OpenClBackend be = new OpenClBackend(device(), null, Long.MAX_VALUE);
        try {
            GemmClass c = GemmClass.of(DType.F32, false, true, 10, 20, 30);
            assertFalse(c.tuned());
            long start = System.nanoTime();
            assertEquals(GemmConfig.defaultFor(device()).withInPlace(true), be.gemmConfig(c, 10, 20, 30));
            assertTrue(System.nanoTime() - start < 500_000_000L, "no search");
            assertFalse(Files.exists(be.tuneCache().file(c)));
        } finally {
            be.close();
        }
    }

    @Test
    void aBadModeIsRefusedByName() {
        System.setProperty("tessera.opencl.tune", "fast");
        TesseraException e = assertThrows(TesseraException.class, GemmTuner.Mode::configured);
        assertTrue(e.getMessage().contains("off, quick or full") && e.getMessage().contains("fast"), e.getMessage());
    }

    @Test
    void configsReadBackWhatTheyWrite() {
        for (GemmConfig c : GemmConfig.searchSpace()) assertEquals(c, GemmConfig.parse(c.toString()));
        assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("tm=8 tn=12 wg=8x8 vw=8 local=off kt=16 db=off inplace=off"));
        assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("gemm_tiled"));
    }

    @Test
    void classesBucketBySizeAndLayout() {
        assertEquals(GemmClass.of(DType.F32, false, false, 256, 256, 256), GemmClass.of(DType.F32, false, false, 300, 300, 300));
        assertFalse(GemmClass.of(DType.F32, false, false, 256, 256, 256).equals(GemmClass.of(DType.F32, false, false, 1024, 1024, 1024)));
        assertEquals(GemmClass.of(DType.F32, false, false, 1024, 1024, 1024), GemmClass.of(DType.F32, false, false, 8192, 8192, 8192));
        assertFalse(GemmClass.of(DType.F32, false, true, 64, 64, 64).equals(GemmClass.of(DType.F32, false, false, 64, 64, 64)));
        assertEquals("f32 nt 4^9", GemmClass.of(DType.F32, false, true, 64, 64, 64).toString());
    }
}
