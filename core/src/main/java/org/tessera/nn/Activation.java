package org.tessera.nn;

/** Base of the parameter-free elementwise layers (ReLU, Tanh, ...): forward is one Tensor op. */
abstract class Activation extends Module {
    @Override
    public String toString() {
        return getClass().getSimpleName() + "()";
    }
}
