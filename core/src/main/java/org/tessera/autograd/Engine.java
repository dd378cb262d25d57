package org.tessera.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tessera.Tensor;

/**
 * Reverse-mode sweep over the recorded graph: one iterative depth-first pass for a topological order
 * (no recursion, so a chain of 100,000 ops is fine), then each node's vector-Jacobian product in reverse
 * order, summing gradients where paths meet. Intermediate gradients are closed as soon as they are
 * consumed, so their memory returns to the pool (or device) during the sweep rather than at GC time; the
 * caller's root gradients and the returned gradients are never closed here.
 */
public final class Engine {
    private Engine() {}

    /**
     * Propagates {@code rootGrads} from {@code roots} and returns the gradient reaching each tensor of
     * {@code capture}, or, when {@code capture} is null, each leaf that requires grad (the caller
     * accumulates those into {@code .grad}).
     */
    public static Map<Tensor, Tensor> run(List<Tensor> roots, List<Tensor> rootGrads, boolean retainGraph,
                                          Set<Tensor> capture) {
        List<Tensor> order = topologicalOrder(roots);
        Set<Tensor> callerOwned = Collections.newSetFromMap(new IdentityHashMap<>());
        callerOwned.addAll(rootGrads);
        Map<Tensor, Tensor> pending = new IdentityHashMap<>();
        for (int i = 0; i < roots.size(); i++) addInto(pending, roots.get(i), rootGrads.get(i), callerOwned);
        Map<Tensor, Tensor> result = new IdentityHashMap<>();
        boolean before = GradMode.set(false);
        try {
            for (int k = order.size() - 1; k >= 0; k--) {
                Tensor t = order.get(k);
                Tensor g = pending.remove(t);
                if (g == null) continue;
                Node node = t.gradFn();
                boolean returned = capture != null ? capture.contains(t) : node == null;
                if (returned) {
                    result.put(t, g);
                    callerOwned.add(g);
                }
                if (node == null) continue;
                Tensor[] inputGrads = node.backward(g);
                Tensor[] inputs = node.inputs();
                for (int i = 0; i < inputs.length; i++) {
                    if (!node.needsGrad(i) || inputGrads[i] == null) continue;
                    // every pending gradient is its own handle, so closing one never frees another
                    if (inputGrads[i] == g || appearsBefore(inputGrads, i)) inputGrads[i] = inputGrads[i].detach();
                    if (GradMode.anomalyDetection() && !inputGrads[i].allFinite()) {
                        throw new IllegalStateException("anomaly: the backward of '" + node.op()
                                + "' produced NaN or Inf in the gradient of its input " + i
                                + (node.createdAt() == null ? "" : "; op created at " + node.createdAt()));
                    }
                    addInto(pending, inputs[i], inputGrads[i], callerOwned);
                }
                if (!callerOwned.contains(g)) g.close();
                if (!retainGraph) node.free();
            }
        } finally {
            GradMode.set(before);
        }
        return result;
    }

    private static void addInto(Map<Tensor, Tensor> pending, Tensor t, Tensor g, Set<Tensor> callerOwned) {
        Tensor old = pending.get(t);
        if (old == null) {
            pending.put(t, g);
            return;
        }
        pending.put(t, old.add(g));
        if (!callerOwned.contains(old)) old.close();
        if (!callerOwned.contains(g)) g.close();
    }

    private static boolean appearsBefore(Tensor[] grads, int i) {
        for (int j = 0; j < i; j++) if (grads[j] == grads[i]) return true;
        return false;
    }

    /** Post-order over tensors reachable through inputs that need grad: every tensor after its inputs. */
    static List<Tensor> topologicalOrder(List<Tensor> roots) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Tensor> stack = new ArrayDeque<>();
        ArrayDeque<int[]> next = new ArrayDeque<>();   // per stack entry: index of the next input to visit
        for (Tensor root : roots) {
            if (!visited.add(root)) continue;
            stack.push(root);
            next.push(new int[1]);
            while (!stack.isEmpty()) {
                Tensor top = stack.peek();
                int[] cursor = next.peek();
                Node node = top.gradFn();
                Tensor child = null;
                while (node != null && cursor[0] < node.inputs().length) {
                    int i = cursor[0]++;
                    Tensor in = node.inputs()[i];
                    if (node.needsGrad(i) && visited.add(in)) {
                        child = in;
                        break;
                    }
                }
                if (child != null) {
                    stack.push(child);
                    next.push(new int[1]);
                } else {
                    stack.pop();
                    next.pop();
                    order.add(top);
                }
            }
        }
        return order;
    }
}
