package org.tessera.optim;

import java.util.List;
import org.tessera.Tensor;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as {@code torch.optim.AdamW}: each step first shrinks
 * the parameter by {@code 1 - lr * weightDecay}, and the gradient is left alone. Default weight decay 0.01.
 */
public class AdamW extends Adam {
    public AdamW(List<Tensor> params, double lr) {
        super(params, lr, 0.01);
    }

    @Override
    protected boolean decoupled() {
        return true;
    }
}
