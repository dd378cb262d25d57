package org.tessera.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.backend.OptimizerStep;

/**
 * Updates a fixed list of parameters from their gradients, one fused kernel per parameter
 * ({@link Tensor#optimizerStep}). Subclasses say which {@link OptimizerStep} to run; this class holds the
 * learning rate, the per-parameter state tensors (created at a parameter's first step, zero-filled, owned by
 * the optimiser and freed by {@link #close}) and the per-parameter step counts. Parameters without a gradient
 * are skipped, as in PyTorch. Not thread-safe: one thread steps an optimiser.
 */
public abstract class Optimizer implements AutoCloseable {
    private final List<Tensor> params;
    private final Tensor[][] state;
    private final long[] steps;
    private double lr;

    protected Optimizer(List<Tensor> params, double lr) {
        if (params == null || params.isEmpty()) throw new IllegalArgumentException("an optimiser needs at least one parameter");
        this.params = List.copyOf(params);
        for (int i = 0; i < this.params.size(); i++) {
            Tensor p = this.params.get(i);
            if (p.isClosed()) throw new IllegalArgumentException("parameter " + i + " is closed");
            if (!p.isLeaf() || !p.requiresGrad()) {
                throw new IllegalArgumentException("parameter " + i + " " + p + " must be a leaf that requires grad");
            }
            if (!p.dtype().isFloating()) throw new IllegalArgumentException("parameter " + i + " has dtype " + p.dtype() + "; optimisers update F32 or F64");
        }
        this.state = new Tensor[this.params.size()][];
        this.steps = new long[this.params.size()];
        setLr(lr);
    }

    /** The step for parameter {@code index}, whose {@code step}-th update (from 1) this is. */
    protected abstract OptimizerStep update(int index, long step);

    /** Applies one update to every parameter that has a gradient. */
    public void step() {
        step(i -> true);
    }

    /**
     * Applies one update to the parameters whose index {@code which} accepts (and that have a gradient); the others are
     * untouched. Each parameter's state and step count are its own, so disjoint sets may step at the same time on
     * different threads: data-parallel replicas that share their parameters split one step this way.
     */
    public void step(java.util.function.IntPredicate which) {
        for (int i = 0; i < params.size(); i++) {
            if (!which.test(i)) continue;
            Tensor p = params.get(i);
            if (!p.hasGrad()) continue;
            OptimizerStep s = update(i, steps[i] + 1);
            p.optimizerStepFromGrad(s, state(i, s));
            steps[i]++;
        }
    }

    private Tensor[] state(int i, OptimizerStep s) {
        if (state[i] == null) state[i] = new Tensor[s.stateCount()];
        if (state[i].length != s.stateCount()) state[i] = java.util.Arrays.copyOf(state[i], s.stateCount());   // restored state
        Tensor p = params.get(i);
        for (int k = 0; k < state[i].length; k++) {
            if (s.usesState(k) && state[i][k] == null) state[i][k] = Scope.untrack(Tensor.zeros(p.device(), p.dtype(), p.shape()));
        }
        return state[i];
    }

    /** Sets every parameter's gradient to null. */
    public void zeroGrad() {
        for (Tensor p : params) p.zeroGrad();
    }

    public double lr() {
        return lr;
    }

    /** Sets the learning rate for the following steps (schedules call this). */
    public void setLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        this.lr = lr;
    }

    public List<Tensor> parameters() {
        return params;
    }

    /** How many updates parameter {@code index} has had. */
    public long steps(int index) {
        return steps[index];
    }

    /** The state tensors of parameter {@code index} (slots as its {@link OptimizerStep} numbers them; null where unused or not yet created). */
    public List<Tensor> state(int index) {
        List<Tensor> out = new ArrayList<>();
        if (state[index] != null) for (Tensor t : state[index]) out.add(t);
        return out;
    }

    /**
     * The state tensors by name {@code "<parameter index>.<slot>"} (the tensors themselves), for checkpoints.
     * Parameters that have not stepped yet have none.
     */
    public Map<String, Tensor> stateTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < state.length; i++) {
            if (state[i] == null) continue;
            for (int k = 0; k < state[i].length; k++) if (state[i][k] != null) out.put(i + "." + k, state[i][k]);
        }
        return out;
    }

    /**
     * Restores what {@link #stateTensors()} and {@link #steps(int)} described (values are copied in, converted to each
     * parameter's device and dtype). Everything is checked first: on a bad entry nothing changes.
     */
    public void loadState(Map<String, Tensor> tensors, long[] stepCounts) {
        checkState(tensors, stepCounts);
        close();
        try (var off = org.tessera.autograd.Autograd.noGrad()) {
            for (var e : tensors.entrySet()) {
                int[] at = slotOf(e.getKey());
                int i = at[0], k = at[1];
                Tensor p = params.get(i);
                if (state[i] == null) state[i] = new Tensor[k + 1];
                if (state[i].length <= k) state[i] = java.util.Arrays.copyOf(state[i], k + 1);
                Tensor slot = Scope.untrack(Tensor.zeros(p.device(), p.dtype(), p.shape()));
                slot.copyFrom(e.getValue());
                state[i][k] = slot;
            }
        }
        System.arraycopy(stepCounts, 0, steps, 0, steps.length);
    }

    /** The parameter index and state slot of a {@link #stateTensors()} name {@code "<parameter>.<slot>"}. */
    private static int[] slotOf(String name) {
        String[] parts = name.split("\\.");
        try {
            if (parts.length == 2) return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (NumberFormatException bad) {
            // reported below
        }
        throw new IllegalArgumentException("optimiser state name '" + name + "' is not <parameter>.<slot>");
    }

    /** Throws IllegalArgumentException if {@link #loadState} would refuse these; changes nothing. */
    public void checkState(Map<String, Tensor> tensors, long[] stepCounts) {
        if (stepCounts.length != params.size()) {
            throw new IllegalArgumentException("optimiser state for " + stepCounts.length + " parameters, this optimiser has " + params.size());
        }
        for (var e : tensors.entrySet()) {
            int[] slot = slotOf(e.getKey());
            int i = slot[0], k = slot[1];
            if (i < 0 || i >= params.size() || k < 0 || k > 8) {
                throw new IllegalArgumentException("optimiser state '" + e.getKey() + "' names no parameter slot of this optimiser");
            }
            if (!java.util.Arrays.equals(e.getValue().shape(), params.get(i).shape())) {
                throw new IllegalArgumentException("optimiser state '" + e.getKey() + "' has shape " + java.util.Arrays.toString(e.getValue().shape())
                        + ", parameter " + i + " has " + java.util.Arrays.toString(params.get(i).shape()));
            }
        }
        for (long c : stepCounts) if (c < 0) throw new IllegalArgumentException("negative step count " + c);
    }

    /** Frees the state tensors (the parameters belong to their owner). */
    @Override
    public void close() {
        for (Tensor[] slots : state) {
            if (slots == null) continue;
            for (Tensor t : slots) if (t != null) t.close();
        }
        java.util.Arrays.fill(state, null);
    }

    static double checkNonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
        return v;
    }
}
