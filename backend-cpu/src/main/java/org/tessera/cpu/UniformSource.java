package org.tessera.cpu;

import org.tessera.Rng;

/**
 * Elements {@code s .. s+n-1} of {@link Rng}'s uniform F32 stream for {@code seed}: the same numbers whichever form
 * computes them. {@link #PORTABLE} is {@link Rng.Reader}'s; {@code SimdPhilox} runs eight blocks in vector lanes.
 */
interface UniformSource {
    void uniform32(long seed, long s, float[] out, int off, int n);

    UniformSource PORTABLE = (seed, s, out, off, n) -> new Rng.Reader(seed).uniform32(s, out, off, n);
}
