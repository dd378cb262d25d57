package org.tessera.nn;

import org.tessera.Autocast;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * {@code y = x W^T + b} with {@code W} of shape {@code [out, in]}, as {@code torch.nn.Linear}. Initialised as
 * PyTorch does: Kaiming-uniform with a = sqrt(5) for the weight, which is U(-1/sqrt(in), 1/sqrt(in)), and the
 * same bound for the bias; drawn from {@code rng} (weight first), by default {@link Rng#global()}.
 */
public class Linear extends Module {
    private final int in, out;

    public Linear(int in, int out) {
        this(in, out, true);
    }

    public Linear(int in, int out, boolean bias) {
        this(in, out, bias, Rng.global(), Device.getDefault(), DType.F32);
    }

    public Linear(int in, int out, boolean bias, Rng rng) {
        this(in, out, bias, rng, Device.getDefault(), DType.F32);
    }

    public Linear(int in, int out, boolean bias, Rng rng, Device device, DType dtype) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear needs positive sizes, got in " + in + ", out " + out);
        this.in = in;
        this.out = out;
        double bound = 1 / Math.sqrt(in);
        registerParameter("weight", uniform(rng, device, dtype, bound, out, in));
        if (bias) registerParameter("bias", uniform(rng, device, dtype, bound, out));
    }

    /** U(-bound, bound) of the given shape. */
    static Tensor uniform(Rng rng, Device device, DType dtype, double bound, int... shape) {
        try (var off = org.tessera.autograd.Autograd.noGrad()) {
            return Tensor.rand(device, dtype, rng, shape).muli(2 * bound).subi(bound);
        }
    }

    public Tensor weight() {
        return parameter("weight");
    }

    /** The bias, or null when built without one. */
    public Tensor bias() {
        return parameter("bias");
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() < 1 || x.shape(-1) != in) {
            throw new IllegalArgumentException("Linear(" + in + ", " + out + ") expects inputs [..., " + in + "], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        // in an Autocast region x, W and b are used as 16-bit copies (the bias too: y + b must share y's dtype)
        Tensor y = Autocast.lower(x).matmul(Autocast.lower(weight()).t());
        return bias() == null ? y : y.add(Autocast.lower(bias()));
    }

    @Override
    public String toString() {
        return "Linear(in=" + in + ", out=" + out + ", bias=" + (bias() != null) + ")";
    }
}
