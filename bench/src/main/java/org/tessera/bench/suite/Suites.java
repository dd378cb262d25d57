package org.tessera.bench.suite;

import java.util.ArrayList;
import java.util.List;
import org.tessera.Autocast;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.bench.suite.BenchCase.Body;
import org.tessera.bench.suite.BenchCase.Unit;
import org.tessera.nn.Linear;
import org.tessera.nn.Losses;
import org.tessera.nn.Module;
import org.tessera.nn.ReLU;
import org.tessera.nn.Sequential;
import org.tessera.nn.Tanh;
import org.tessera.optim.Adam;
import org.tessera.optim.Optimizer;
import org.tessera.optim.SGD;

/**
 * The benchmark suites of {@code tessera bench}: GEMM (square and the MLP layer shapes), elementwise add,
 * reductions over rows and over columns, fused softmax + cross-entropy (forward and backward), an Adam update, and
 * whole MLP training steps. {@code quick} runs a few sizes of each (under 2 minutes for CPU + OpenCL here);
 * {@code full} sweeps them. Every case is F32 and has its PyTorch/NumPy twin in bench/peers/peer.py.
 */
public final class Suites {
    private Suites() {}

    public static List<BenchCase> quick() {
        List<BenchCase> c = new ArrayList<>();
        for (int n : new int[] {256, 512, 1024}) c.add(gemm(n, n, n, false));
        for (int n : new int[] {1 << 16, 1 << 20, 1 << 24}) c.add(add(n));
        c.add(sumRows(1 << 20));
        c.add(sumColumns(1 << 20));
        c.add(softmaxCrossEntropy(4096, 100));
        c.add(adam(1 << 20));
        for (Mlp m : Mlp.CPU_SIZED) c.add(mlpStep(m));
        return c;
    }

    /**
     * The GPU check's suite (bench/gpu/check): square GEMMs from 1024 to 8192, the MLP steps of the other suites
     * and one GPU-sized MLP step.
     */
    public static List<BenchCase> gpu() {
        List<BenchCase> c = new ArrayList<>();
        for (int n : new int[] {1024, 2048, 4096, 8192}) c.add(gemm(n, n, n, false));
        for (Mlp m : Mlp.values()) c.add(mlpStep(m));
        return c;
    }

    public static List<BenchCase> full() {
        List<BenchCase> c = new ArrayList<>();
        for (int n : new int[] {64, 128, 256, 512, 1024, 2048, 4096}) c.add(gemm(n, n, n, false));
        int[][] layers = {{1000, 784, 200}, {512, 784, 2048}, {512, 2048, 2048}, {512, 2048, 10}};
        for (int[] l : layers) c.add(gemm(l[0], l[1], l[2], true));
        for (int n : new int[] {1 << 10, 1 << 14, 1 << 18, 1 << 20, 1 << 22, 1 << 24, 1 << 26}) c.add(add(n));
        for (int n : new int[] {1 << 14, 1 << 18, 1 << 22, 1 << 24}) {
            c.add(sumRows(n));
            c.add(sumColumns(n));
        }
        for (int b : new int[] {256, 4096, 65536}) c.add(softmaxCrossEntropy(b, 100));
        for (int n : new int[] {1 << 16, 1 << 20, 1 << 24}) c.add(adam(n));
        for (Mlp m : Mlp.CPU_SIZED) c.add(mlpStep(m));
        return c;
    }

    static Tensor randn(Device d, long seed, int... shape) {
        return Tensor.randn(d, DType.F32, new Rng(seed), shape);
    }

    /** A body that runs {@code step} inside a scope, so its temporaries go back to the pool each iteration. */
    static Body scoped(Runnable step, AutoCloseable... owned) {
        return new Body() {
            @Override
            public void run() {
                try (Scope s = Scope.open()) {
                    step.run();
                }
            }

            @Override
            public void close() {
                for (AutoCloseable o : owned) {
                    try {
                        o.close();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        };
    }

    /** C = A B with A [m, k], B [k, n]: 2mkn flops. Square sizes chart against n, layer shapes against flops. */
    static BenchCase gemm(int m, int k, int n, boolean layer) {
        return new BenchCase(layer ? "gemm (MLP layers)" : "gemm", layer ? m + "x" + k + "x" + n : Integer.toString(n),
                layer ? 2L * m * k * n : n, 2.0 * m * k * n, Unit.GFLOPS, "gemm " + m + " " + k + " " + n, d -> {
                    Tensor a = randn(d, 1, m, k), b = randn(d, 2, k, n);
                    return scoped(() -> a.matmul(b), a, b);
                });
    }

    /** out = a + b on n floats: 12n bytes moved. */
    static BenchCase add(int n) {
        return new BenchCase("add", Integer.toString(n), n, 12.0 * n, Unit.GBPS, "add " + n, d -> {
            Tensor a = randn(d, 1, n), b = randn(d, 2, n);
            return scoped(() -> a.add(b), a, b);
        });
    }

    /** Sum of each row of [n / 1024, 1024]: 4n bytes read. */
    static BenchCase sumRows(int n) {
        return new BenchCase("sum rows", Integer.toString(n), n, 4.0 * n, Unit.GBPS, "sum_rows " + n / 1024 + " 1024", d -> {
            Tensor x = randn(d, 1, n / 1024, 1024);
            return scoped(() -> x.sum(1, false), x);
        });
    }

    /** Sum over the leading dim of [1024, n / 1024] (a bias gradient's shape): 4n bytes read. */
    static BenchCase sumColumns(int n) {
        return new BenchCase("sum columns", Integer.toString(n), n, 4.0 * n, Unit.GBPS, "sum_cols 1024 " + n / 1024, d -> {
            Tensor x = randn(d, 1, 1024, n / 1024);
            return scoped(() -> x.sum(0, false), x);
        });
    }

    /** Mean cross-entropy of logits [rows, classes] and its backward: rows per second. */
    static BenchCase softmaxCrossEntropy(int rows, int classes) {
        return new BenchCase("softmax+cross-entropy", rows + "x" + classes, rows, rows, Unit.SAMPLES, "softmax_ce " + rows + " " + classes, d -> {
            Tensor logits = randn(d, 1, rows, classes).requiresGrad(true);
            int[] l = new int[rows];
            for (int i = 0; i < rows; i++) l[i] = (i * 7) % classes;
            Tensor labels = Tensor.of(d, l, rows);
            return scoped(() -> {
                logits.zeroGrad();
                Losses.crossEntropy(logits, labels).backward();
            }, logits, labels);
        });
    }

    /** One fused Adam step over n parameters: reads p, g, m, v and writes p, m, v = 28n bytes. */
    static BenchCase adam(int n) {
        return new BenchCase("adam update", Integer.toString(n), n, 28.0 * n, Unit.GBPS, "adam " + n, d -> {
            Tensor w = randn(d, 1, n).requiresGrad(true);
            w.sum().backward();
            Adam opt = new Adam(List.of(w), 1e-3);
            opt.step();
            return scoped(opt::step, opt, w);
        });
    }

    /** The MLP training steps of the issue: layer sizes, activation, batch, loss and optimiser. */
    public enum Mlp {
        SEED("784-200-1 relu, batch 1000, MSE, SGD", new int[] {784, 200, 1}, false, 1000, false, false),
        SMALL("64-256-256-1 tanh, batch 64, MSE, SGD", new int[] {64, 256, 256, 1}, true, 64, false, false),
        LARGE("784-2048-2048-2048-10 relu, batch 512, cross-entropy, Adam", new int[] {784, 2048, 2048, 2048, 10}, false, 512, true, true),
        /** about 0.6 TFLOP per step: seconds on a CPU, so only the GPU suite runs it */
        GPU("4096-4096-4096-4096-10 relu, batch 4096, cross-entropy, Adam", new int[] {4096, 4096, 4096, 4096, 10}, false, 4096, true, true);

        /** The steps the quick and full suites time on every device. */
        public static final List<Mlp> CPU_SIZED = List.of(SEED, SMALL, LARGE);

        public final String description;
        final int[] sizes;
        final boolean tanh, crossEntropy, adam;
        final int batch;

        Mlp(String description, int[] sizes, boolean tanh, int batch, boolean crossEntropy, boolean adam) {
            this.description = description;
            this.sizes = sizes;
            this.tanh = tanh;
            this.batch = batch;
            this.crossEntropy = crossEntropy;
            this.adam = adam;
        }

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public Sequential model(Device d) {
            Rng rng = new Rng(7);
            Sequential m = new Sequential();
            for (int i = 0; i + 1 < sizes.length; i++) {
                m.add(new Linear(sizes[i], sizes[i + 1], true, rng, d, DType.F32));
                if (i + 2 < sizes.length) m.add(tanh ? new Tanh() : new ReLU());
            }
            return m;
        }

        /** Layer widths, input first. */
        public int[] sizes() {
            return sizes.clone();
        }

        public int batch() {
            return batch;
        }

        /** Parameters of the model (for the analytic memory minimum). */
        public long parameters() {
            long p = 0;
            for (int i = 0; i + 1 < sizes.length; i++) p += (long) sizes[i] * sizes[i + 1] + sizes[i + 1];
            return p;
        }

        /** Activations saved for backward per example (each layer's input and, for tanh, output; relu saves its input). */
        public long savedActivationsPerExample() {
            long a = 0;
            for (int i = 0; i + 1 < sizes.length; i++) a += sizes[i] + (i + 2 < sizes.length ? sizes[i + 1] : 0);
            return a;
        }

        /** One batch on {@code d}: inputs [batch, in] and targets (labels, or [batch, out] for MSE). */
        public Tensor[] batchOn(Device d) {
            Tensor x = randn(d, 3, batch, sizes[0]);
            int out = sizes[sizes.length - 1];
            if (!crossEntropy) return new Tensor[] {x, randn(d, 4, batch, out)};
            int[] l = new int[batch];
            for (int i = 0; i < batch; i++) l[i] = i % out;
            return new Tensor[] {x, Tensor.of(d, l, batch)};
        }

        /** Inputs, targets, model and optimiser for one device, and one training step as a runnable. */
        public Step prepare(Device d) {
            return prepare(d, DType.F32);
        }

        /** {@link #prepare(Device)} with the forward pass in an {@link Autocast} region of {@code precision} (BF16, F16) unless F32. */
        public Step prepare(Device d, DType precision) {
            Tensor[] xy = batchOn(d);
            Tensor x = xy[0], y = xy[1];
            Sequential m = model(d);
            Optimizer opt = adam ? new Adam(m.parameters(), 1e-4) : new SGD(m.parameters(), 1e-3);
            return new Step(m, opt, x, y, crossEntropy, precision);
        }
    }

    /** One training step of an {@link Mlp}: zero grads, forward (autocast unless F32), loss, backward, optimiser step. */
    public record Step(Module model, Optimizer optimizer, Tensor x, Tensor y, boolean crossEntropy, DType precision) implements AutoCloseable {
        public void run() {
            try (Scope s = Scope.open()) {
                optimizer.zeroGrad();
                Tensor loss;
                try (Autocast.Region r = precision == DType.F32 ? null : Autocast.enable(precision)) {
                    Tensor out = model.forward(x);
                    loss = crossEntropy ? Losses.crossEntropy(out, y) : Losses.mse(out, y);
                }
                loss.backward();
                optimizer.step();
            }
        }

        @Override
        public void close() {
            optimizer.close();
            model.close();
            x.close();
            y.close();
        }
    }

    static BenchCase mlpStep(Mlp m) {
        return new BenchCase("mlp step", m.key(), m.ordinal(), m.batch, Unit.SAMPLES, "mlp " + m.key(), d -> {
            Step s = m.prepare(d);
            return new Body() {
                @Override
                public void run() {
                    s.run();
                }

                @Override
                public void close() {
                    s.close();
                }
            };
        });
    }
}
