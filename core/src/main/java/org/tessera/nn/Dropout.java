package org.tessera.nn;

import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * Inverted dropout ({@link Tensor#dropout}): in training mode each element is zeroed with probability p and the
 * rest scaled by 1/(1-p); in evaluation mode the identity. Masks come from {@code rng} (default
 * {@link Rng#global()}), so one seed drops the same elements on every device.
 */
public class Dropout extends Activation {
    private final double p;
    private final Rng rng;

    public Dropout(double p) {
        this(p, Rng.global());
    }

    public Dropout(double p, Rng rng) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("dropout probability must lie in [0, 1], got " + p);
        this.p = p;
        this.rng = rng;
    }

    @Override
    public Tensor forward(Tensor x) {
        return isTraining() && p > 0 ? x.dropout(p, rng) : x;
    }

    /** The stream masks are drawn from (checkpoints save its counter). */
    public Rng rng() {
        return rng;
    }

    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
