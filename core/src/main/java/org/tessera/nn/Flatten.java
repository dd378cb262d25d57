package org.tessera.nn;

import org.tessera.Tensor;

/** Flattens every dim after the first (the batch): {@code [N, d1, d2, ...] -> [N, d1*d2*...]}, as torch.nn.Flatten. */
public class Flatten extends Activation {
    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() < 1) throw new IllegalArgumentException("Flatten needs a batch dim, got a scalar");
        return x.reshape(x.shape(0), -1);
    }
}
