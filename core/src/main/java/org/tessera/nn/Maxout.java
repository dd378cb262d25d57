package org.tessera.nn;

import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * Maxout (Goodfellow et al., 2013): a linear map to {@code out * pieces} units, then the maximum over each group
 * of {@code pieces} consecutive units: {@code y[n, j] = max_k (x W^T + b)[n, j * pieces + k]}. Parameters as a
 * Linear(in, out * pieces) named {@code linear}; the gradient goes to each group's first maximum.
 */
public class Maxout extends Module {
    private final int out, pieces;
    private final Linear linear;

    public Maxout(int in, int out, int pieces) {
        this(in, out, pieces, Rng.global(), Device.getDefault(), DType.F32);
    }

    public Maxout(int in, int out, int pieces, Rng rng, Device device, DType dtype) {
        if (pieces < 1) throw new IllegalArgumentException("Maxout needs at least one piece, got " + pieces);
        this.out = out;
        this.pieces = pieces;
        this.linear = registerModule("linear", new Linear(in, out * pieces, true, rng, device, dtype));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor z = linear.forward(x);
        int[] shape = z.shape();
        int[] grouped = java.util.Arrays.copyOf(shape, shape.length + 1);
        grouped[shape.length - 1] = out;
        grouped[shape.length] = pieces;
        return z.reshape(grouped).max(-1, false);
    }

    @Override
    public String toString() {
        return "Maxout(out=" + out + ", pieces=" + pieces + ", " + linear + ")";
    }
}
