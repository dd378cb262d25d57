package org.tessera.nn;

import org.tessera.Tensor;

/** {@code 1 / (1 + e^-x)}, elementwise. */
public class Sigmoid extends Activation {
    @Override
    public Tensor forward(Tensor x) {
        return x.sigmoid();
    }
}
