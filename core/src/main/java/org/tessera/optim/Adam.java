package org.tessera.optim;

import java.util.List;
import org.tessera.Tensor;
import org.tessera.backend.OptimizerStep;

/**
 * Adam as {@code torch.optim.Adam} (betas 0.9, 0.999; eps 1e-8; weight decay as L2 added to the gradient), with
 * bias correction from each parameter's own step count.
 */
public class Adam extends Optimizer {
    private double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay;

    public Adam(List<Tensor> params, double lr) {
        this(params, lr, 0);
    }

    Adam(List<Tensor> params, double lr, double weightDecay) {
        super(params, lr);
        this.weightDecay = weightDecay;
    }

    public Adam betas(double beta1, double beta2) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must lie in [0, 1), got " + beta1 + ", " + beta2);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        return this;
    }

    public Adam eps(double eps) {
        this.eps = checkNonNegative("eps", eps);
        return this;
    }

    public Adam weightDecay(double weightDecay) {
        this.weightDecay = checkNonNegative("weight decay", weightDecay);
        return this;
    }

    /** Whether weight decay is decoupled from the gradient (AdamW) rather than added to it (L2). */
    protected boolean decoupled() {
        return false;
    }

    @Override
    protected OptimizerStep update(int index, long step) {
        return new OptimizerStep.Adam(lr(), beta1, beta2, eps, weightDecay, decoupled(), step);
    }
}
