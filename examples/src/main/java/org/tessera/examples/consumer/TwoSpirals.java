package org.tessera.examples.consumer;

import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;
import org.tessera.nn.Linear;
import org.tessera.nn.Sequential;
import org.tessera.nn.Tanh;
import org.tessera.optim.Adam;

/**
 * Two interleaved spirals, one class each: a 2-64-64-2 tanh MLP learns to tell them apart with Adam. Written as an
 * application would use Tensor (results left to the garbage collector, no Scope).
 */
public final class TwoSpirals {
    private TwoSpirals() {}

    /** The points (n per class) and their labels, spiral k turned by k * pi. */
    static Tensor[] data(Device device, int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] xy = new float[4 * n];
        int[] labels = new int[2 * n];
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < n; i++) {
                double t = 0.25 + 3.0 * Math.PI * i / n, radius = t / (3 * Math.PI);
                int p = k * n + i;
                xy[2 * p] = (float) (radius * Math.cos(t + k * Math.PI) + 0.02 * r.nextGaussian());
                xy[2 * p + 1] = (float) (radius * Math.sin(t + k * Math.PI) + 0.02 * r.nextGaussian());
                labels[p] = k;
            }
        }
        return new Tensor[] {Tensor.of(device, xy, 2 * n, 2), Tensor.of(device, labels, 2 * n)};
    }

    /** Trains for {@code steps} full-batch Adam steps; returns the training accuracy. */
    public static double train(Device device, int steps) {
        Tensor[] d = data(device, 200, 7);
        Rng init = new Rng(1);
        Sequential model = new Sequential()
                .add(new Linear(2, 64, true, init, device, DType.F32)).add(new Tanh())
                .add(new Linear(64, 64, true, init, device, DType.F32)).add(new Tanh())
                .add(new Linear(64, 2, true, init, device, DType.F32));
        Adam opt = new Adam(model.parameters(), 0.01);
        for (int step = 0; step < steps; step++) {
            opt.zeroGrad();
            Tensor loss = model.forward(d[0]).crossEntropy(d[1]).mean();
            loss.backward();
            opt.step();
        }
        try (var off = Autograd.noGrad()) {
            int[] predicted = model.forward(d[0]).argmax(1).toIntArray(), labels = d[1].toIntArray();
            int right = 0;
            for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) right++;
            return (double) right / labels.length;
        }
    }

    public static void main(String[] args) {
        Device device = args.length > 0 ? Device.of(args[0]) : Device.best();
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 600;
        System.out.printf("two spirals on %s: training accuracy %.3f after %d steps%n", device.spec(), train(device, steps), steps);
    }
}
