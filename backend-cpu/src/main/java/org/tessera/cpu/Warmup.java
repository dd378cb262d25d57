package org.tessera.cpu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.DType;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.OptimizerStep;
import org.tessera.backend.Strided;
import org.tessera.backend.UnaryOp;

/**
 * Runs the CPU backend's hot loops on small private arrays, once per JVM, on a background daemon thread, so C2
 * has compiled them by the time real work arrives. Until then Vector API code runs interpreted or in C1, where
 * every vector is an object: the first 50 steps of the default MLP took 33 ms each against 6 ms after (1.2 s of
 * a 5 s first epoch), and a fresh JVM's first 1024 x 1024 products ran at 21 GFLOP/s. The warm-up drives a private
 * one-thread backend (its own pool and counters, so no device's memory figures move, and no pool thread is taken)
 * through the primitives of a small training step, then times the faster GEMM kernel that only C2 compiles against the
 * one in use until it can take over ({@link KernelPromotion}); {@code -Dtessera.cpu.warmup=false} turns both off (the
 * GEMM then keeps its first kernel, unless {@code -Dtessera.gemm.kernel} names one).
 */
final class Warmup {
    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    private static final boolean ON = !"false".equalsIgnoreCase(System.getProperty("tessera.cpu.warmup"));
    private static boolean started;

    private Warmup() {}

    static synchronized void start() {
        if (started || !ON) return;
        started = true;
        Thread t = new Thread(Warmup::run, "tessera-cpu-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private static void run() {
        long t0 = System.nanoTime();
        try {
            CpuBackend be = new CpuBackend(1);      // private: its own pool and counters, no worker threads
            for (int it = 0; it < 120; it++) step(be, it);
            LOG.debug("CPU kernels warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
            KernelPromotion.run();
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("CPU warm-up stopped early: {}", e.toString());
        }
    }

    private static Strided f32(int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (i % 17) * 0.1f - 0.8f;
        return new Strided(new CpuBuffer(DType.F32, data, n), shape, Strided.contiguousStrides(shape), 0);
    }

    private static Strided t(Strided m) {
        return new Strided(m.buffer(), new int[] {m.shape()[1], m.shape()[0]}, new int[] {m.strides()[1], m.strides()[0]}, m.offset());
    }

    private static Strided batch(Strided m) {
        return new Strided(m.buffer(), new int[] {1, m.shape()[0], m.shape()[1]}, new int[] {0, m.strides()[0], m.strides()[1]}, m.offset());
    }

    /**
     * What one training step of an MLP asks of the backend, on small shapes that cut every GEMM tile (46 rows,
     * 90 inputs, 70 hidden, 10 classes): linear layers forward and backward in every operand layout, bias adds and
     * sums, activations and their gradients, dropout, softmax cross-entropy, a row gather and the optimiser steps.
     */
    private static void step(CpuBackend be, int it) {
        int rows = 46, in = 90, hidden = 70, classes = 10;
        Strided x = f32(rows, in), w = f32(hidden, in), h = f32(rows, hidden), g = f32(rows, hidden), dw = f32(hidden, in);
        Strided bias = f32(hidden), bias2 = new Strided(bias.buffer(), new int[] {rows, hidden}, new int[] {0, 1}, 0);
        be.matmul(batch(x), false, batch(w), true, batch(h), 1, 0);                 // x W^T
        be.matmul(batch(g), true, batch(x), false, batch(dw), 1, 0);                // g^T x
        be.matmul(batch(g), false, batch(w), false, batch(x), 1, 0);                // g W
        be.binary(BinaryOp.ADD, h, bias2, h);
        be.reduce(org.tessera.backend.ReduceOp.SUM, g, new Strided(bias.buffer(), new int[] {1, hidden}, new int[] {0, 1}, 0));
        for (UnaryOp op : new UnaryOp[] {UnaryOp.RELU, UnaryOp.TANH, UnaryOp.SIGMOID}) {
            be.unary(op, 0, 0, h, g);
            be.unaryBackward(op, 0, 0, g, h, h);
        }
        be.unary(UnaryOp.MUL_SCALAR, 0.5, 0, t(h), t(g));                            // the strided path
        be.binary(BinaryOp.MUL, h, g, h);
        be.dropout(h, 0.2, 0, (long) it * h.numel(), g, h);
        Strided logits = f32(rows, classes), dl = f32(rows, classes), losses = f32(rows);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) labels[i] = i % classes;
        Strided lab = new Strided(new CpuBuffer(DType.I32, labels, rows), new int[] {rows}, new int[] {1}, 0);
        be.crossEntropy(logits, lab, losses);
        be.crossEntropyBackward(logits, lab, losses, losses, dl);
        be.softmax(logits, 1, false, dl);
        be.indexSelect(x, 0, lab, f32(rows, in));
        Strided[] state = {f32(hidden, in), f32(hidden, in)};
        be.optimizerStep(new OptimizerStep.Adam(1e-3, 0.9, 0.999, 1e-8, 0, false, it + 1), w, dw, state);
        be.optimizerStep(new OptimizerStep.Sgd(1e-3, 0.9, 0, 0, false, it == 0), w, dw, new Strided[] {state[0]});
    }
}
