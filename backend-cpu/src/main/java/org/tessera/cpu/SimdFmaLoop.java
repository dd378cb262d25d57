package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Ten independent FMA chains of the preferred vector width: the most a Java thread sustains (with twelve, C2 spilled
 * on a 16-register machine; measured 80 against 91 GFLOP/s for ten). Loaded only through {@link MachineSpeed}.
 */
final class SimdFmaLoop implements MachineSpeed.FmaLoop {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Override
    public double run(long iters) {
        iters /= S.length();
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        FloatVector m = FloatVector.broadcast(S, 0.999999f), c = FloatVector.broadcast(S, 1e-7f);
        long t0 = System.nanoTime();
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c); a4 = a4.fma(m, c);
            a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c); a8 = a8.fma(m, c); a9 = a9.fma(m, c);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        float sum = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).reduceLanes(VectorOperators.ADD);
        if (sum == 42) return 0;                                // keeps the chains alive
        return iters * 10.0 * S.length() * 2 / s / 1e9;
    }
}
