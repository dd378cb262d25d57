package org.tessera.data;

import org.tessera.Tensor;

/** One mini-batch: inputs {@code x} and targets {@code y}, on the loader's device. Closing it frees both. */
public record Batch(Tensor x, Tensor y) implements AutoCloseable {
    /** The number of examples in this batch. */
    public int size() {
        return x.shape(0);
    }

    @Override
    public void close() {
        x.close();
        y.close();
    }
}
