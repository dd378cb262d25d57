package org.tessera.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode sweep over the recorded graph of {@link Node}s: one iterative depth-first pass for a topological
 * order (no recursion, so a chain of 100,000 ops is fine), then each node's vector-Jacobian product in reverse
 * order, summing gradients where paths meet. When only some nodes' gradients are wanted ({@code capture}), only
 * the part of the graph that leads to them runs, and VJPs skip the inputs that lead nowhere wanted.
 * Intermediate gradients are closed as soon as they are consumed, so their memory returns to the pool (or
 * device) during the sweep rather than at GC time; the caller's root gradients and the returned gradients are
 * never closed here.
 *
 * <p>With {@code createGraph} the sweep runs with grad mode on, so every VJP's tensor ops are recorded like a forward
 * pass: the gradients come out with a history of their own (double backward). Closing a consumed gradient's handle
 * is still safe then, since the nodes that recorded it hold their own handles.
 */
public final class Engine {
    private Engine() {}

    /**
     * Propagates {@code rootGrads} from {@code roots}. With {@code capture} null, every gradient that reaches a
     * leaf's accumulator is added into that leaf's {@code .grad} and the result is empty; otherwise leaves are left
     * untouched and the result maps each node of {@code capture} that was reached to its gradient.
     */
    public static <T extends GradValue<T>> Map<Node<T>, T> run(List<Node<T>> roots, List<T> rootGrads, boolean retainGraph, boolean createGraph, Set<Node<T>> capture) {
        List<Node<T>> order = topologicalOrder(roots);
        Set<Node<T>> needed = capture == null ? null : needed(order, capture);
        Set<T> callerOwned = Collections.newSetFromMap(new IdentityHashMap<>());
        callerOwned.addAll(rootGrads);
        Map<Node<T>, T> pending = new IdentityHashMap<>();
        for (int i = 0; i < roots.size(); i++) addInto(pending, roots.get(i), rootGrads.get(i), callerOwned);
        Map<Node<T>, T> result = new IdentityHashMap<>();
        boolean before = GradMode.set(createGraph);
        try {
            for (int k = order.size() - 1; k >= 0; k--) {
                Node<T> node = order.get(k);
                T g = pending.remove(node);
                if (g == null) continue;
                if (needed != null && !needed.contains(node)) {
                    if (!callerOwned.contains(g)) g.close();
                    continue;
                }
                if (capture != null && capture.contains(node)) {
                    result.put(node, g);
                    callerOwned.add(g);
                }
                if (node.isAccumulator()) {
                    if (capture == null) {
                        boolean adopted = node.sink().accumulate(g, !callerOwned.contains(g));
                        if (!adopted && !callerOwned.contains(g)) g.close();
                    }
                    continue;
                }
                Node<T>[] next = node.next();
                boolean[] needs = new boolean[next.length];
                for (int i = 0; i < next.length; i++) needs[i] = next[i] != null && (needed == null || needed.contains(next[i]));
                T[] inputGrads = node.backward(g, needs);
                for (int i = 0; i < next.length; i++) {
                    if (!needs[i] || inputGrads[i] == null) continue;
                    // every pending gradient is its own handle, so closing one never frees another
                    if (inputGrads[i] == g || appearsBefore(inputGrads, i)) inputGrads[i] = handle(inputGrads[i], createGraph);
                    if (GradMode.anomalyDetection() && !inputGrads[i].allFinite()) {
                        throw new IllegalStateException("anomaly: the backward of '" + node.op()
                                + "' produced NaN or Inf in the gradient of its input " + i
                                + (node.createdAt() == null ? "" : "; op created at " + node.createdAt()));
                    }
                    addInto(pending, next[i], inputGrads[i], callerOwned);
                }
                if (!callerOwned.contains(g)) g.close();
                if (!retainGraph) node.free();
            }
        } finally {
            GradMode.set(before);
        }
        return result;
    }

    /** Another handle on {@code t}: with its history when the backward is being recorded, else detached. */
    public static <T extends GradValue<T>> T handle(T t, boolean createGraph) {
        return createGraph ? t.alias() : t.detach();
    }

    private static <T extends GradValue<T>> void addInto(Map<Node<T>, T> pending, Node<T> n, T g, Set<T> callerOwned) {
        T old = pending.get(n);
        if (old == null) {
            pending.put(n, g);
            return;
        }
        pending.put(n, old.add(g));
        if (!callerOwned.contains(old)) old.close();
        if (!callerOwned.contains(g)) g.close();
    }

    private static boolean appearsBefore(Object[] grads, int i) {
        for (int j = 0; j < i; j++) if (grads[j] == grads[i]) return true;
        return false;
    }

    /** The nodes of {@code order} (children first) from which a node of {@code capture} can be reached. */
    private static <T extends GradValue<T>> Set<Node<T>> needed(List<Node<T>> order, Set<Node<T>> capture) {
        Set<Node<T>> needed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node<T> n : order) {
            boolean leads = capture.contains(n);
            for (Node<T> c : n.next()) leads |= c != null && needed.contains(c);
            if (leads) needed.add(n);
        }
        return needed;
    }

    /** Post-order over the nodes reachable from {@code roots}: every node after the nodes its edges lead to. */
    public static <T extends GradValue<T>> List<Node<T>> topologicalOrder(List<Node<T>> roots) {
        List<Node<T>> order = new ArrayList<>();
        Set<Node<T>> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node<T>> stack = new ArrayDeque<>();
        ArrayDeque<int[]> cursor = new ArrayDeque<>();   // per stack entry: index of the next edge to follow
        for (Node<T> root : roots) {
            if (!visited.add(root)) continue;
            stack.push(root);
            cursor.push(new int[1]);
            while (!stack.isEmpty()) {
                Node<T> top = stack.peek();
                int[] at = cursor.peek();
                Node<T> child = null;
                Node<T>[] next = top.next();
                while (at[0] < next.length) {
                    Node<T> c = next[at[0]++];
                    if (c != null && visited.add(c)) {
                        child = c;
                        break;
                    }
                }
                if (child != null) {
                    stack.push(child);
                    cursor.push(new int[1]);
                } else {
                    stack.pop();
                    cursor.pop();
                    order.add(top);
                }
            }
        }
        return order;
    }
}
