package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tessera.Rng;

/** The vector-lane Philox gives Rng's uniform F32 stream bit for bit, whatever the start and length. */
class UniformSourceTest {

    @Test
    void simdPhiloxGivesTheStreamsBits() {
        UniformSource simd = new SimdPhilox();
        long[] seeds = {0, 1, 0x9E3779B97F4A7C15L, -1};
        long[] starts = {0, 1, 3, 4, 31, 32, 33, 1000, (1L << 32) - 5, (1L << 34) + 7};
        int[] lengths = {0, 1, 5, 31, 32, 33, 64, 100, 1027};
        for (long seed : seeds) {
            for (long s : starts) {
                for (int n : lengths) {
                    float[] got = new float[n + 2];
                    simd.uniform32(seed, s, got, 1, n);
                    for (int i = 0; i < n; i++) {
                        float want = Rng.uniform32(seed, s + i);
                        if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got[1 + i])) {
                            throw new AssertionError("seed " + seed + ", element " + (s + i) + " (start " + s + ", n " + n + "): "
                                    + got[1 + i] + ", the stream has " + want);
                        }
                    }
                    assertEquals(0f, got[0], "wrote before the offset");
                    assertEquals(0f, got[n + 1], "wrote past the end");
                }
            }
        }
    }

    @Test
    void theBackendUsesASourceThatGivesTheStream() {
        float[] got = new float[777];
        SimdSupport.uniforms().uniform32(42, 12345, got, 0, got.length);
        for (int i = 0; i < got.length; i++) assertEquals(Rng.uniform32(42, 12345 + i), got[i], "element " + i);
    }
}
