package org.tessera.nn;

import org.tessera.Tensor;

/** {@code x > 0 ? x : slope * x}; slope 0.01 by default, as PyTorch. */
public class LeakyReLU extends Activation {
    private final double slope;

    public LeakyReLU() {
        this(0.01);
    }

    public LeakyReLU(double slope) {
        this.slope = slope;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.leakyRelu(slope);
    }

    @Override
    public String toString() {
        return "LeakyReLU(" + slope + ")";
    }
}
