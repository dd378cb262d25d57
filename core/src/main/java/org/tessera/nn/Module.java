package org.tessera.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;

/**
 * A layer or a model, as {@code torch.nn.Module}: parameters and sub-modules registered by name, in order.
 * {@link #parameters()} lists own parameters first, then each child's, recursively; {@link #stateDict()} names
 * them as PyTorch does ({@code 0.weight} for the weight of child "0" of a Sequential), so a state dict saved
 * with SafeTensors loads into the same model in PyTorch.
 *
 * <p>Parameters belong to the module: they are created outside any {@link Scope} (even when the module is built
 * inside one) and live until the caller closes the module or drops it. Not thread-safe.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    public abstract Tensor forward(Tensor x);

    /** Registers (or replaces) a parameter: it becomes a leaf that requires grad, owned by this module. */
    protected Tensor registerParameter(String name, Tensor value) {
        checkName(name);
        Tensor p = Scope.untrack(value.isLeaf() ? value : value.detach());
        if (!p.requiresGrad()) p.requiresGrad(true);
        params.put(name, p);
        return p;
    }

    protected <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a parameter or module name must be non-empty and without '.', got '" + name + "'");
        }
    }

    /** This module's own parameter by name (for subclasses). */
    protected Tensor parameter(String name) {
        return params.get(name);
    }

    /** Every parameter, own ones first, then each child's, in registration order. */
    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Every parameter under its dotted name ({@code 0.weight}, {@code 2.bias}, ...). The tensors themselves. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out) {
        params.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collect(prefix + n + ".", out));
    }

    /**
     * The parameters by PyTorch's names, as detached handles sharing their storage (like PyTorch's state_dict: a
     * snapshot by reference, not a copy). Closing them does not free the parameters.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((n, p) -> out.put(n, p.detach()));
        return out;
    }

    /**
     * Copies values into the parameters (converting device and dtype as needed). Strict, like PyTorch's default:
     * the keys must be exactly this module's and each shape must match; everything is checked before the first
     * value is written, so a bad state dict leaves the module unchanged.
     */
    public void loadStateDict(Map<String, Tensor> state) {
        checkStateDict(state);
        Map<String, Tensor> mine = namedParameters();
        try (var off = Autograd.noGrad(); Scope s = Scope.open()) {
            for (var e : mine.entrySet()) e.getValue().copyFrom(state.get(e.getKey()));
        }
    }

    /** Throws IllegalArgumentException if {@link #loadStateDict} would refuse {@code state}; changes nothing. */
    public void checkStateDict(Map<String, Tensor> state) {
        Map<String, Tensor> mine = namedParameters();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>();
        for (String k : mine.keySet()) if (!state.containsKey(k)) missing.add(k);
        for (String k : state.keySet()) if (!mine.containsKey(k)) unexpected.add(k);
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException("state dict does not fit " + getClass().getSimpleName() + ": missing keys " + missing
                    + ", unexpected keys " + unexpected);
        }
        for (var e : mine.entrySet()) {
            Tensor v = state.get(e.getKey());
            if (v == null || v.isClosed()) throw new IllegalArgumentException("state dict entry '" + e.getKey() + "' is null or closed");
            if (!Arrays.equals(v.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("state dict entry '" + e.getKey() + "' has shape " + Arrays.toString(v.shape())
                        + ", the parameter has " + Arrays.toString(e.getValue().shape()));
            }
            if (!v.dtype().isFloating()) throw new IllegalArgumentException("state dict entry '" + e.getKey() + "' has dtype " + v.dtype());
        }
    }

    /** Training mode (the default): dropout drops. Applies to every child. Returns this. */
    public Module train() {
        setTraining(true);
        return this;
    }

    /** Evaluation mode: dropout is the identity. Applies to every child. Returns this. */
    public Module eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean on) {
        training = on;
        children.values().forEach(c -> c.setTraining(on));
    }

    public boolean isTraining() {
        return training;
    }

    /** Sets every parameter's gradient to null. */
    public void zeroGrad() {
        for (Tensor p : parameters()) p.zeroGrad();
    }

    /**
     * Moves every parameter to {@code device} (new parameter tensors; make optimisers after moving, as in PyTorch).
     * The old tensors are closed. Returns this.
     */
    public Module to(Device device) {
        return convert(p -> p.to(device));
    }

    /** Converts every parameter to {@code dtype} (e.g. F64 for gradient checks). Returns this. */
    public Module to(DType dtype) {
        return convert(p -> p.to(dtype));
    }

    private Module convert(java.util.function.UnaryOperator<Tensor> f) {
        try (var off = Autograd.noGrad()) {
            for (var e : params.entrySet()) {
                Tensor old = e.getValue(), moved = f.apply(old);
                if (moved == old) continue;
                e.setValue(Scope.untrack(moved).requiresGrad(true));
                old.close();
            }
        }
        children.values().forEach(c -> c.convert(f));
        return this;
    }

    /**
     * Ties every parameter to {@code source}'s parameter of the same name, as {@code b.weight = a.weight} in PyTorch for
     * each one: this module's parameters become new leaf handles on {@code source}'s storage (its own are closed), so an
     * update through either module is seen by both, while each handle keeps its own gradient. Names, shapes, dtypes
     * and devices must match (checked before anything changes). Data-parallel replicas on one device use this to
     * hold one copy of the weights. Returns this.
     */
    public Module tieParameters(Module source) {
        Map<String, Tensor> mine = namedParameters(), theirs = source.namedParameters();
        if (!mine.keySet().equals(theirs.keySet())) {
            throw new IllegalArgumentException("tieParameters: this module has parameters " + mine.keySet() + ", the source has " + theirs.keySet());
        }
        for (var e : mine.entrySet()) {
            Tensor a = e.getValue(), b = theirs.get(e.getKey());
            if (!Arrays.equals(a.shape(), b.shape()) || a.dtype() != b.dtype() || a.device() != b.device()) {
                throw new IllegalArgumentException("tieParameters: parameter '" + e.getKey() + "' is " + Arrays.toString(a.shape()) + " " + a.dtype()
                        + " on " + a.device() + " here and " + Arrays.toString(b.shape()) + " " + b.dtype() + " on " + b.device() + " in the source");
            }
        }
        tie("", theirs);
        return this;
    }

    private void tie(String prefix, Map<String, Tensor> source) {
        try (var off = Autograd.noGrad()) {
            for (var e : params.entrySet()) {
                Tensor old = e.getValue();
                e.setValue(Scope.untrack(source.get(prefix + e.getKey()).detach()).requiresGrad(true));
                old.close();
            }
        }
        children.forEach((n, c) -> c.tie(prefix + n + ".", source));
    }

    /** Closes every parameter (own and children's). */
    @Override
    public void close() {
        for (Tensor p : parameters()) p.close();
    }

    @Override
    public String toString() {
        if (children.isEmpty()) return getClass().getSimpleName() + "()";
        StringBuilder s = new StringBuilder(getClass().getSimpleName()).append("(\n");
        children.forEach((n, c) -> s.append("  (").append(n).append("): ").append(c.toString().replace("\n", "\n  ")).append('\n'));
        return s.append(')').toString();
    }
}
