package org.tessera.optim;

import java.util.List;
import org.tessera.Tensor;
import org.tessera.backend.OptimizerStep;

/** RMSProp as {@code torch.optim.RMSprop} (alpha 0.99, eps 1e-8), with optional momentum, centering and L2 decay. */
public class RMSProp extends Optimizer {
    private double alpha = 0.99, eps = 1e-8, weightDecay, momentum;
    private boolean centered;

    public RMSProp(List<Tensor> params, double lr) {
        super(params, lr);
    }

    public RMSProp alpha(double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("RMSProp alpha must lie in [0, 1], got " + alpha);
        this.alpha = alpha;
        return this;
    }

    public RMSProp eps(double eps) {
        this.eps = checkNonNegative("eps", eps);
        return this;
    }

    public RMSProp weightDecay(double weightDecay) {
        this.weightDecay = checkNonNegative("weight decay", weightDecay);
        return this;
    }

    public RMSProp momentum(double momentum) {
        this.momentum = checkNonNegative("momentum", momentum);
        return this;
    }

    public RMSProp centered(boolean centered) {
        this.centered = centered;
        return this;
    }

    @Override
    protected OptimizerStep update(int index, long step) {
        return new OptimizerStep.RmsProp(lr(), alpha, eps, weightDecay, momentum, centered);
    }
}
