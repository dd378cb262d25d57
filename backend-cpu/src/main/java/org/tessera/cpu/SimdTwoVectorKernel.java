package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * What the Vector API micro-kernels share: tiles two vectors wide (NR = 2 L), B's panels packed by
 * {@link SimdTranspose}. Each kernel keeps its MR and NR as constants of its own for its {@code run} loop.
 * Loaded only through {@link SimdSupport}.
 */
abstract class SimdTwoVectorKernel implements MicroKernel {
    static final int NR = 2 * FloatVector.SPECIES_PREFERRED.length();
    private final int mr;

    SimdTwoVectorKernel(int mr) {
        this.mr = mr;
    }

    @Override
    public final int mr() {
        return mr;
    }

    @Override
    public final int nr() {
        return NR;
    }

    @Override
    public final void packTransposedB(float[] bd, int src, int ld, int kc, int cols, float[] bp, int at) {
        SimdTranspose.pack(bd, src, ld, kc, cols, bp, at, NR);
    }

    @Override
    public final void copyPanelRow(float[] bd, int src, float[] bp, int at) {
        SimdTranspose.copyTwoVectors(bd, src, bp, at);
    }
}
