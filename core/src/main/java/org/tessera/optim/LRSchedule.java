package org.tessera.optim;

/**
 * A learning-rate schedule: the optimiser's learning rate at construction is the base rate, and after
 * {@code t} calls of {@link #step()} the rate is {@code base * factor(t)}, as PyTorch's schedulers in closed form
 * (construction applies {@code factor(0)}). Call {@link #step()} once per optimiser step (or per epoch, if the
 * schedule is counted in epochs), after {@code optimizer.step()}.
 */
public abstract class LRSchedule {
    private final Optimizer optimizer;
    private final double base;
    /** The multiplier of the base rate after {@code t} steps. */
    private final java.util.function.LongToDoubleFunction factor;
    private long t;

    protected LRSchedule(Optimizer optimizer, java.util.function.LongToDoubleFunction factor) {
        if (optimizer == null) throw new IllegalArgumentException("a schedule needs an optimiser");
        this.optimizer = optimizer;
        this.base = optimizer.lr();
        this.factor = factor;
        apply();
    }

    /** Advances one step and sets the optimiser's learning rate. */
    public void step() {
        t++;
        apply();
    }

    private void apply() {
        optimizer.setLr(base * factor.applyAsDouble(t));
    }

    /** Steps taken so far (saved in checkpoints). */
    public long steps() {
        return t;
    }

    /** Jumps to step {@code t} (restoring a checkpoint) and sets the learning rate for it. */
    public void setSteps(long t) {
        if (t < 0) throw new IllegalArgumentException("a schedule's step count cannot be negative, got " + t);
        this.t = t;
        apply();
    }

    public double baseLr() {
        return base;
    }

    /** The learning rate now in effect. */
    public double lr() {
        return optimizer.lr();
    }

    static long positive(String name, long v) {
        if (v <= 0) throw new IllegalArgumentException(name + " must be positive, got " + v);
        return v;
    }
}
