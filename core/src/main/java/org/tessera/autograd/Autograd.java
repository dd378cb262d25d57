package org.tessera.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tessera.Tensor;

/** Autograd controls that are not methods of a tensor: gradients without touching leaves, grad mode, DOT export. */
public final class Autograd {
    private Autograd() {}

    /** Restores the previous grad mode on close; {@link #close()} throws no checked exception. */
    public interface Guard extends AutoCloseable {
        @Override
        void close();
    }

    /** Inside the returned guard's scope (this thread) ops record no graph. */
    public static Guard noGrad() {
        return setGrad(false);
    }

    /** Turns recording back on inside a {@link #noGrad()} block. */
    public static Guard enableGrad() {
        return setGrad(true);
    }

    private static Guard setGrad(boolean on) {
        boolean before = GradMode.set(on);
        return () -> GradMode.set(before);
    }

    public static boolean isGradEnabled() {
        return GradMode.isEnabled();
    }

    /**
     * Gradients of the sum of {@code outputs} (each must hold one element) with respect to {@code inputs},
     * like {@code torch.autograd.grad}: leaves' {@code .grad} is left untouched and the graph is freed.
     *
     * @throws IllegalArgumentException when an input does not take part in computing the outputs
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs) {
        return grad(outputs, inputs, false);
    }

    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, boolean retainGraph) {
        List<Tensor> seeds = new ArrayList<>();
        for (Tensor out : outputs) {
            Tensor.checkBackwardRoot(out, null);
            seeds.add(Tensor.onesLike(out));
        }
        Set<Tensor> capture = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < inputs.size(); i++) {
            Tensor in = inputs.get(i);
            if (!in.requiresGrad()) {
                throw new IllegalArgumentException("Autograd.grad: input " + i + " " + in + " does not require grad");
            }
            capture.add(in);
        }
        Map<Tensor, Tensor> grads = Engine.run(outputs, seeds, retainGraph, capture);
        List<Tensor> result = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor g = grads.get(inputs.get(i));
            if (g == null) {
                throw new IllegalArgumentException("Autograd.grad: input " + i + " (shape "
                        + Arrays.toString(inputs.get(i).shape()) + ") was not used to compute the outputs");
            }
            Tensor dense = g.contiguous();
            if (dense != g && !seeds.contains(g)) g.close();
            result.add(dense);
        }
        for (Tensor seed : seeds) if (!result.contains(seed)) seed.close();
        return result;
    }

    /** When on, the first op whose output (forward) or gradient (backward) holds NaN or Inf throws, naming the op and where it was created. */
    public static void detectAnomaly(boolean on) {
        GradMode.setAnomalyDetection(on);
    }

    /** The graph recorded behind {@code root} in Graphviz DOT: an ellipse per op with its output shape, leaves as boxes. */
    public static String toDot(Tensor root) {
        List<Tensor> order = Engine.topologicalOrder(List.of(root));
        Map<Tensor, Integer> ids = new IdentityHashMap<>();
        for (Tensor t : order) ids.put(t, ids.size());
        StringBuilder dot = new StringBuilder("digraph autograd {\n  rankdir=BT;\n");
        for (Tensor t : order) {
            Node node = t.gradFn();
            String shape = Arrays.toString(t.shape());
            if (node == null) {
                dot.append("  t").append(ids.get(t)).append(" [shape=box, style=filled, fillcolor=lightblue, label=\"leaf ")
                        .append(shape).append(t.requiresGrad() ? "\\nrequires grad" : "").append("\"];\n");
            } else {
                dot.append("  t").append(ids.get(t)).append(" [label=\"").append(node.op()).append(' ')
                        .append(shape).append("\"];\n");
            }
        }
        for (Tensor t : order) {
            Node node = t.gradFn();
            if (node == null) continue;
            Tensor[] inputs = node.inputs();
            for (int i = 0; i < inputs.length; i++) {
                if (node.needsGrad(i)) {
                    dot.append("  t").append(ids.get(inputs[i])).append(" -> t").append(ids.get(t)).append(";\n");
                }
            }
        }
        return dot.append("}\n").toString();
    }
}
