package org.tessera.graph;

/** A registered hook, as PyTorch's {@code RemovableHandle}: {@link #remove()} unregisters it (idempotent). */
@FunctionalInterface
public interface HookHandle {
    void remove();
}
