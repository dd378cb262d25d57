package org.tessera.optim;

import org.tessera.Tensor;
import org.tessera.autograd.Autograd;

/**
 * Dynamic loss scaling for F16 training, as {@code torch.cuda.amp.GradScaler}: F16 gradients below 2^-24 flush to
 * zero, so the loss is multiplied by a large scale before backward and the gradients are divided by it before the
 * optimiser step. A step whose gradients hold an infinity or NaN (the scale was too large) is skipped and the scale
 * halved; after {@code growthInterval} good steps in a row it doubles.
 *
 * <pre>{@code
 * LossScaler scaler = new LossScaler();
 * scaler.scale(loss).backward();
 * scaler.step(optimizer);        // unscales, then steps unless a gradient is not finite
 * scaler.update();
 * }</pre>
 * BF16 has F32's range and needs none of this. Not thread-safe, like the optimiser it serves.
 */
public final class LossScaler {
    private final double growth, backoff;
    private final int growthInterval;
    private double scale;
    private int goodSteps;
    private Boolean lastStepFinite;

    /** PyTorch's defaults: scale 65536, doubled after 2000 good steps, halved after a bad one. */
    public LossScaler() {
        this(65536, 2, 0.5, 2000);
    }

    public LossScaler(double initialScale, double growth, double backoff, int growthInterval) {
        if (!(initialScale > 0) || Double.isInfinite(initialScale)) throw new IllegalArgumentException("LossScaler: the scale must be positive and finite, got " + initialScale);
        if (!(growth > 1)) throw new IllegalArgumentException("LossScaler: growth must be > 1, got " + growth);
        if (!(backoff > 0 && backoff < 1)) throw new IllegalArgumentException("LossScaler: backoff must lie in (0, 1), got " + backoff);
        if (growthInterval < 1) throw new IllegalArgumentException("LossScaler: growthInterval must be >= 1, got " + growthInterval);
        this.scale = initialScale;
        this.growth = growth;
        this.backoff = backoff;
        this.growthInterval = growthInterval;
    }

    /** The current scale. */
    public double scale() {
        return scale;
    }

    /** {@code loss} times the scale (a recorded op: backward through it gives scaled gradients). */
    public Tensor scale(Tensor loss) {
        return loss.mul(scale);
    }

    /**
     * Divides every gradient of {@code optimizer}'s parameters by the scale, then steps the optimiser, unless a
     * gradient holds an infinity or NaN: then the parameters and the optimiser's state are left as they were.
     *
     * @return whether the optimiser stepped
     */
    public boolean step(Optimizer optimizer) {
        boolean finite = true;
        try (var off = Autograd.noGrad()) {
            for (Tensor p : optimizer.parameters()) {
                if (!p.hasGrad()) continue;
                Tensor g = p.grad();
                g.muli(1 / scale);
                if (!g.allFinite()) finite = false;
            }
        }
        lastStepFinite = finite;
        if (finite) optimizer.step();
        return finite;
    }

    /** Adjusts the scale after a {@link #step}: halved after a skipped step, doubled after {@code growthInterval} good ones. */
    public void update() {
        if (lastStepFinite == null) throw new IllegalStateException("LossScaler.update: no step since the last update");
        if (lastStepFinite) {
            if (++goodSteps >= growthInterval) {
                scale *= growth;
                goodSteps = 0;
            }
        } else {
            scale *= backoff;
            goodSteps = 0;
        }
        lastStepFinite = null;
    }
}
