package org.tessera.examples;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;

/**
 * The "2-layer network in 20 lines" of the classic lectures, written with Tessera: fit random targets from
 * random inputs with one sigmoid hidden layer, summed squared loss, plain SGD. Runs on {@link Device#best()}
 * (a GPU when an OpenCL one is present, else the CPU) or the device named by the first argument.
 * <pre>  ./run-example [device] [steps]</pre>
 */
public final class TwoLayerNet {
    private static final Logger LOG = LoggerFactory.getLogger(TwoLayerNet.class);

    private TwoLayerNet() {}

    public static void main(String[] args) {
        Device device = args.length > 0 ? Device.of(args[0]) : Device.best();
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int n = 64, dIn = 1000, h = 100, dOut = 10;
        double lr = 1e-3;
        LOG.info("training a {}-{}-{} network (sigmoid hidden layer) on {} for {} steps", dIn, h, dOut, device.description(), steps);

        Rng rng = new Rng(0);
        Tensor x = Tensor.randn(device, rng, n, dIn);
        Tensor y = Tensor.randn(device, rng, n, dOut);
        Tensor w1 = Tensor.randn(device, rng, dIn, h).mul(0.03).requiresGrad(true);
        Tensor w2 = Tensor.randn(device, rng, h, dOut).mul(0.1).requiresGrad(true);

        long start = System.nanoTime();
        double first = Double.NaN, last = Double.NaN;
        for (int step = 1; step <= steps; step++) {
            try (Scope scope = Scope.open()) {
                Tensor yPred = x.matmul(w1).sigmoid().matmul(w2);
                Tensor loss = yPred.sub(y).pow(2).sum();
                loss.backward();
                try (var off = Autograd.noGrad()) {
                    w1.subi(w1.grad().mul(lr));
                    w2.subi(w2.grad().mul(lr));
                }
                w1.zeroGrad();
                w2.zeroGrad();
                last = loss.item();
                if (step == 1) first = last;
                if (step == 1 || step % 50 == 0 || step == steps) {
                    double ms = (System.nanoTime() - start) / 1e6 / step;
                    LOG.info("step {}/{}  loss {}  ({} ms/step)", step, steps, String.format("%.4f", last), String.format("%.3f", ms));
                }
            }
        }
        LOG.info("loss {} -> {} in {} steps, {} s", String.format("%.4f", first), String.format("%.4f", last), steps,
                String.format("%.2f", (System.nanoTime() - start) / 1e9));
    }
}
