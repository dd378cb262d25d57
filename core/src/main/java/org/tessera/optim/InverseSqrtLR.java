package org.tessera.optim;

/**
 * Linear warm-up then inverse square-root decay (the Transformer schedule): with {@code s = t + 1},
 * {@code lr = base * min(s / warmup, sqrt(warmup / s))}, so the rate climbs to {@code base} at step
 * {@code warmup - 1} and then falls as {@code 1/sqrt(s)}.
 */
public class InverseSqrtLR extends LRSchedule {
    public InverseSqrtLR(Optimizer optimizer, long warmup) {
        super(optimizer, t -> Math.min((t + 1.0) / positive("warm-up steps", warmup), Math.sqrt(warmup / (t + 1.0))));
    }
}
