package org.tessera.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tessera.Checks;
import org.tessera.Tensor;
import org.tessera.graph.Engine;
import org.tessera.graph.GradMode;
import org.tessera.graph.Node;

/** Autograd controls that are not methods of a tensor: backward passes, gradients without touching leaves, grad mode, DOT export. */
public final class Autograd {
    private Autograd() {}

    /** Restores the previous grad mode on close; {@link #close()} throws no checked exception. */
    public interface Guard extends GradMode.Region {}

    /** Inside the returned guard's scope (this thread) ops record no graph. */
    public static Guard noGrad() {
        return setGrad(false);
    }

    /** Turns recording back on inside a {@link #noGrad()} block. */
    public static Guard enableGrad() {
        return setGrad(true);
    }

    private static Guard setGrad(boolean on) {
        GradMode.Region region = GradMode.enter(on);
        return region::close;
    }

    public static boolean isGradEnabled() {
        return GradMode.isEnabled();
    }

    /**
     * Backpropagates from {@code root} with upstream gradient {@code gradient} (null: {@code root} must hold one
     * element and the gradient is 1), accumulating into the {@code .grad} of every leaf that requires grad, as
     * {@code torch.autograd.backward}; the same as {@link Tensor#backward(Tensor, boolean)}.
     */
    public static void backward(Tensor root, Tensor gradient, boolean retainGraph) {
        backward(root, gradient, retainGraph, false);
    }

    /**
     * {@link #backward(Tensor, Tensor, boolean)} that, with {@code createGraph}, records the backward pass itself, as
     * {@code torch.autograd.backward(..., create_graph=True)}: the gradients accumulated into the leaves keep a history
     * and can be differentiated again. Keep {@code retainGraph} true when that second pass runs back through this graph.
     */
    public static void backward(Tensor root, Tensor gradient, boolean retainGraph, boolean createGraph) {
        root.backward(gradient, retainGraph, createGraph);
    }

    /**
     * Gradients of the sum of {@code outputs} (each must hold one element) with respect to {@code inputs},
     * like {@code torch.autograd.grad}: leaves' {@code .grad} is left untouched and the graph is freed.
     *
     * @throws IllegalArgumentException when an input does not take part in computing the outputs
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs) {
        return grad(outputs, inputs, null, false);
    }

    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, boolean retainGraph) {
        return grad(outputs, inputs, null, retainGraph);
    }

    /**
     * The vector-Jacobian products {@code sum_i gradOutputs[i] · d outputs[i] / d inputs[j]} for each input, like
     * {@code torch.autograd.grad(outputs, inputs, grad_outputs)}. {@code gradOutputs} may be null (every output then
     * holds one element and its gradient is 1), and so may an element of it for a one-element output; otherwise
     * each has its output's shape, dtype and device. An input may be any tensor that requires grad, a leaf or
     * computed: its gradient is the one flowing into the op that produced it. Leaves' {@code .grad} is left
     * untouched; the graph is freed unless {@code retainGraph}.
     *
     * @throws IllegalArgumentException when an input does not take part in computing the outputs, or the lists'
     *         lengths or a gradient's shape, dtype or device do not match
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs, boolean retainGraph) {
        return grad(outputs, inputs, gradOutputs, retainGraph, false);
    }

    /**
     * {@link #grad(List, List, List, boolean)} that, with {@code createGraph}, records the backward pass, as
     * {@code torch.autograd.grad(..., create_graph=True)}: each returned gradient has a history and requires grad
     * (where it depends on something that does), so it can be differentiated again: Hessian-vector products
     * ({@code grad} of {@code (g · v).sum()}), gradient penalties, derivatives of any order. Keep {@code retainGraph}
     * true when a later pass goes back through the graph of {@code outputs} (a second derivative always does).
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs, boolean retainGraph,
                                    boolean createGraph) {
        return grad(outputs, inputs, gradOutputs, retainGraph, createGraph, false);
    }

    /**
     * {@link #grad(List, List, List, boolean, boolean)} where, with {@code allowUnused}, an input that no gradient
     * reaches gets null instead of an exception, as PyTorch's {@code allow_unused=True}: an input the outputs do not
     * depend on, or one whose only paths have a zero derivative (a gradient of relu's gradient, say).
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs, boolean retainGraph,
                                    boolean createGraph, boolean allowUnused) {
        if (outputs.isEmpty()) throw new IllegalArgumentException("Autograd.grad: no outputs");
        if (gradOutputs != null && gradOutputs.size() != outputs.size()) {
            throw new IllegalArgumentException("Autograd.grad: " + outputs.size() + " outputs but " + gradOutputs.size() + " gradOutputs");
        }
        List<Node<Tensor>> roots = new ArrayList<>();
        List<Tensor> seeds = new ArrayList<>();
        List<Tensor> made = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            Tensor out = outputs.get(i), given = gradOutputs == null ? null : gradOutputs.get(i);
            Checks.backwardRoot(out, given, "Autograd.grad: output " + i);
            Tensor seed = given != null ? given : Tensor.onesLike(out);
            if (given == null) made.add(seed);
            roots.add(out.gradientEdge());
            seeds.add(seed);
        }
        Set<Node<Tensor>> capture = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Node<Tensor>> wanted = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor in = inputs.get(i);
            if (in.isClosed()) throw new IllegalStateException("Autograd.grad: input " + i + " was closed");
            if (!in.requiresGrad()) {
                throw new IllegalArgumentException("Autograd.grad: input " + i + " " + in + " does not require grad");
            }
            Node<Tensor> n = in.gradientEdge();
            capture.add(n);
            wanted.add(n);
        }
        Map<Node<Tensor>, Tensor> grads = Engine.run(roots, seeds, retainGraph, createGraph, capture);
        // what this call owns (gradients the engine returned, seeds it made) is handed out or closed;
        // the caller's gradOutputs are never closed and never handed back as they are
        Set<Tensor> owned = identitySet(), handedOut = identitySet(), given = identitySet();
        owned.addAll(grads.values());
        owned.addAll(made);
        if (gradOutputs != null) for (Tensor t : gradOutputs) if (t != null) given.add(t);
        owned.removeAll(given);
        List<Tensor> result = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor g = grads.get(wanted.get(i));
            if (g == null && allowUnused) {
                result.add(null);
                continue;
            }
            if (g == null) {
                for (Tensor t : owned) t.close();
                throw new IllegalArgumentException("Autograd.grad: input " + i + " (shape "
                        + Arrays.toString(inputs.get(i).shape()) + ") was not used to compute the outputs");
            }
            // a dense handle of its own per input (one gradient may answer the same input listed twice)
            Tensor r = !g.isContiguous() ? g.contiguous() : owned.contains(g) && !handedOut.contains(g) ? g : Engine.handle(g, createGraph);
            handedOut.add(r);
            result.add(r);
        }
        for (Tensor t : owned) if (!handedOut.contains(t)) t.close();
        return result;
    }

    private static Set<Tensor> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    /** When on, the first op whose output (forward) or gradient (backward) holds NaN or Inf throws, naming the op and where it was created. */
    public static void detectAnomaly(boolean on) {
        GradMode.setAnomalyDetection(on);
    }

    /** The graph recorded behind {@code root} in Graphviz DOT: an ellipse per op with its output shape, leaves as boxes. */
    public static String toDot(Tensor root) {
        StringBuilder dot = new StringBuilder("digraph autograd {\n  rankdir=BT;\n");
        Node<Tensor> start = root.gradientEdge();
        if (start == null) {
            return dot.append("  t0 [shape=box, label=\"leaf ").append(Arrays.toString(root.shape())).append("\"];\n}\n").toString();
        }
        List<Node<Tensor>> order = Engine.topologicalOrder(List.of(start));
        Map<Node<Tensor>, Integer> ids = new IdentityHashMap<>();
        for (Node<Tensor> n : order) ids.put(n, ids.size());
        for (Node<Tensor> n : order) {
            String shape = Arrays.toString(n.outputShape());
            dot.append("  t").append(ids.get(n));
            if (n.isAccumulator()) {
                dot.append(" [shape=box, style=filled, fillcolor=lightblue, label=\"leaf ").append(shape).append("\\nrequires grad\"];\n");
            } else {
                dot.append(" [label=\"").append(n.op()).append(' ').append(shape).append("\"];\n");
            }
        }
        for (Node<Tensor> n : order) {
            for (Node<Tensor> c : n.next()) {
                if (c != null) dot.append("  t").append(ids.get(c)).append(" -> t").append(ids.get(n)).append(";\n");
            }
        }
        return dot.append("}\n").toString();
    }
}
