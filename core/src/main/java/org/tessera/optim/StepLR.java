package org.tessera.optim;

/** {@code lr = base * gamma^floor(t / stepSize)}, as {@code torch.optim.lr_scheduler.StepLR}. */
public class StepLR extends LRSchedule {
    public StepLR(Optimizer optimizer, long stepSize, double gamma) {
        super(optimizer, t -> Math.pow(gamma, Math.floorDiv(t, positive("step size", stepSize))));
        if (!(gamma > 0) || Double.isInfinite(gamma)) throw new IllegalArgumentException("gamma must be finite and > 0, got " + gamma);
    }
}
