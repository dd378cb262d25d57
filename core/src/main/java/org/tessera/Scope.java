package org.tessera;

import java.util.ArrayList;
import java.util.List;

/**
 * Closes, when it closes, every tensor created inside it on this thread, except those {@link #keep kept}
 * (which move to the enclosing scope, or to no scope). Scopes nest; use try-with-resources:
 * <pre>{@code
 * try (Scope s = Scope.open()) {
 *     Tensor loss = model.forward(x).sub(y).pow(2).mean();
 *     loss.backward();
 *     s.keep(loss);
 * }
 * }</pre>
 * Gradients accumulated into leaves belong to the leaf, not to the scope they were computed in.
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

    private final Scope parent;
    private final Thread owner = Thread.currentThread();
    private final List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    private Scope(Scope parent) {
        this.parent = parent;
    }

    public static Scope open() {
        Scope s = new Scope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** Exempts {@code t} from this scope's close; it moves to the enclosing scope. Returns {@code t}. */
    public Tensor keep(Tensor t) {
        if (t.scope == this) {
            t.scope = null;
            if (parent != null) parent.add(t);
        }
        return t;
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a Scope must be closed on the thread that opened it (" + owner.getName() + ")");
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("scopes must be closed innermost first: an inner scope is still open");
        }
        closed = true;
        CURRENT.set(parent);
        for (Tensor t : tensors) {
            if (t.scope == this) {
                t.scope = null;
                t.close();
            }
        }
        tensors.clear();
    }

    private void add(Tensor t) {
        tensors.add(t);
        t.scope = this;
    }

    /** Registers a newly created tensor with this thread's innermost scope, if any. */
    static void track(Tensor t) {
        Scope s = CURRENT.get();
        if (s != null) s.add(t);
    }

    /**
     * Takes {@code t} out of whatever scope holds it: the caller now owns it and closes it (or leaves it to the
     * garbage-collector safety net). Long-lived tensors made while a step's scope is open use this: optimiser
     * state, a gradient now owned by its leaf. Returns {@code t}.
     */
    public static Tensor untrack(Tensor t) {
        t.scope = null;
        return t;
    }
}
