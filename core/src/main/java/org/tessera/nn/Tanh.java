package org.tessera.nn;

import org.tessera.Tensor;

/** {@code tanh(x)}, elementwise. */
public class Tanh extends Activation {
    @Override
    public Tensor forward(Tensor x) {
        return x.tanh();
    }
}
