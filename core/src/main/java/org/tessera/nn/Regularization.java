package org.tessera.nn;

import java.util.List;
import org.tessera.Tensor;

/**
 * Penalties to add to a loss: {@code l1} = sum of |w|, {@code l2} = sum of w^2 over the given parameters
 * (multiply by your coefficient). The optimisers' {@code weightDecay(wd)} is the L2 form applied to the
 * gradient instead: it equals adding {@code wd / 2 * l2(params)} to the loss.
 */
public final class Regularization {
    private Regularization() {}

    public static Tensor l1(List<Tensor> params) {
        return sum(params, true);
    }

    public static Tensor l2(List<Tensor> params) {
        return sum(params, false);
    }

    private static Tensor sum(List<Tensor> params, boolean l1) {
        if (params.isEmpty()) throw new IllegalArgumentException("a regularisation term needs at least one parameter");
        Tensor total = null;
        for (Tensor p : params) {
            Tensor term = l1 ? p.abs().sum() : p.mul(p).sum();
            total = total == null ? term : total.add(term);
        }
        return total;
    }
}
