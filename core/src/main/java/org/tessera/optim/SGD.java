package org.tessera.optim;

import java.util.List;
import org.tessera.Tensor;
import org.tessera.backend.OptimizerStep;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD}: optional momentum (with dampening and Nesterov) and L2
 * weight decay added to the gradient. Configure fluently: {@code new SGD(params, 0.1).momentum(0.9).nesterov(true)}.
 */
public class SGD extends Optimizer {
    private double momentum, dampening, weightDecay;
    private boolean nesterov;

    public SGD(List<Tensor> params, double lr) {
        super(params, lr);
    }

    public SGD momentum(double momentum) {
        this.momentum = checkNonNegative("momentum", momentum);
        return this;
    }

    public SGD dampening(double dampening) {
        this.dampening = checkNonNegative("dampening", dampening);
        return this;
    }

    public SGD nesterov(boolean nesterov) {
        this.nesterov = nesterov;
        return this;
    }

    public SGD weightDecay(double weightDecay) {
        this.weightDecay = checkNonNegative("weight decay", weightDecay);
        return this;
    }

    @Override
    protected OptimizerStep update(int index, long step) {
        return new OptimizerStep.Sgd(lr(), momentum, dampening, weightDecay, nesterov, step == 1);
    }
}
