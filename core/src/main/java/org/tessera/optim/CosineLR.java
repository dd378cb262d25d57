package org.tessera.optim;

/**
 * Cosine annealing to zero over {@code totalSteps}: {@code lr = base * (1 + cos(pi t / T)) / 2}, as
 * {@code CosineAnnealingLR(T_max = T, eta_min = 0)}; after T steps it stays at 0 (PyTorch's would rise again).
 */
public class CosineLR extends LRSchedule {
    public CosineLR(Optimizer optimizer, long totalSteps) {
        super(optimizer, t -> t >= positive("total steps", totalSteps) ? 0 : (1 + Math.cos(Math.PI * t / totalSteps)) / 2);
    }
}
