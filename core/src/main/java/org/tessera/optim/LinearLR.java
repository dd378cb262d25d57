package org.tessera.optim;

/** Linear decay to zero over {@code totalSteps}: {@code lr = base * (1 - min(t, T) / T)}, as {@code LinearLR(start 1, end 0, T)}. */
public class LinearLR extends LRSchedule {
    public LinearLR(Optimizer optimizer, long totalSteps) {
        super(optimizer, t -> 1 - (double) Math.min(t, positive("total steps", totalSteps)) / totalSteps);
    }
}
