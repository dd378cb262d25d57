package org.tessera.nn;

import org.tessera.Tensor;

/** {@code x > 0 ? x : alpha (e^x - 1)}; alpha 1 by default, as PyTorch. */
public class ELU extends Activation {
    private final double alpha;

    public ELU() {
        this(1.0);
    }

    public ELU(double alpha) {
        this.alpha = alpha;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.elu(alpha);
    }

    @Override
    public String toString() {
        return "ELU(" + alpha + ")";
    }
}
