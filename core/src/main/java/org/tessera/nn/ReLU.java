package org.tessera.nn;

import org.tessera.Tensor;

/** {@code max(0, x)}, elementwise. */
public class ReLU extends Activation {
    @Override
    public Tensor forward(Tensor x) {
        return x.relu();
    }
}
