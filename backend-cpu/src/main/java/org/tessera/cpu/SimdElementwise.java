package org.tessera.cpu;

import java.util.EnumMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.OptimizerStep;
import org.tessera.backend.UnaryOp;

/**
 * Vector API versions of the hot op rows for dense F32 data. exp, tanh and sigmoid come from {@link VectorMath}
 * (bit-reproducible whatever the JIT did; tanh on 16M floats ~10 ms per thread against ~560 ms for Math.tanh).
 * Each formula mirrors its {@link UnaryOp}/{@link BinaryOp} row (relu and clamp keep NaN and -0 as the rows do;
 * {@code SimdElementwiseTest} holds every kernel to its row); tails shorter than a vector go through the row itself.
 * Loaded only through {@link SimdSupport}.
 */
final class SimdElementwise implements FastElementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    // One table per direction, built once: an op's vector loop does whole vectors and returns how many elements it
    // did; the rest goes through the op's row. One loop method per op: C2 compiles each on its own with everything
    // in it inlined. One loop with a switch over every op inside was too big to inline all of VectorMath into: tanh
    // then ran out of line, on boxed vectors (108 us for 64 x 256 elements in an MLP step against 40 us alone).
    private interface UnaryLoop {
        int run(float p, float q, float[] x, int xo, float[] y, int yo, int n);
    }

    private interface UnaryBackwardLoop {
        int run(float p, float[] dy, int dyo, float[] s, int so, float[] dx, int dxo, int n);
    }

    private interface BinaryLoop {
        int run(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);
    }

    private static final Map<UnaryOp, Unary> FORWARD = new EnumMap<>(UnaryOp.class);
    private static final Map<UnaryOp, UnaryBackward> BACKWARD = new EnumMap<>(UnaryOp.class);
    private static final Map<BinaryOp, Binary> BINARY = new EnumMap<>(BinaryOp.class);

    static {
        forward(UnaryOp.NEG, SimdElementwise::neg);
        forward(UnaryOp.ADD_SCALAR, SimdElementwise::addScalar);
        forward(UnaryOp.MUL_SCALAR, SimdElementwise::mulScalar);
        forward(UnaryOp.DIV_SCALAR, SimdElementwise::divScalar);
        forward(UnaryOp.EXP, SimdElementwise::exp);
        forward(UnaryOp.SQRT, SimdElementwise::sqrt);
        forward(UnaryOp.ABS, SimdElementwise::abs);
        forward(UnaryOp.TANH, SimdElementwise::tanh);
        forward(UnaryOp.SIGMOID, SimdElementwise::sigmoid);
        forward(UnaryOp.RELU, SimdElementwise::relu);
        forward(UnaryOp.LEAKY_RELU, SimdElementwise::leakyRelu);
        forward(UnaryOp.CLAMP, SimdElementwise::clamp);

        backward(UnaryOp.NEG, SimdElementwise::negBackward);
        backward(UnaryOp.ADD_SCALAR, SimdElementwise::addScalarBackward);
        backward(UnaryOp.MUL_SCALAR, SimdElementwise::mulScalarBackward);
        backward(UnaryOp.DIV_SCALAR, SimdElementwise::divScalarBackward);
        backward(UnaryOp.EXP, SimdElementwise::expBackward);
        backward(UnaryOp.TANH, SimdElementwise::tanhBackward);
        backward(UnaryOp.SIGMOID, SimdElementwise::sigmoidBackward);
        backward(UnaryOp.RELU, SimdElementwise::reluBackward);
        backward(UnaryOp.LEAKY_RELU, SimdElementwise::leakyReluBackward);

        binary(BinaryOp.ADD, SimdElementwise::add);
        binary(BinaryOp.SUB, SimdElementwise::sub);
        binary(BinaryOp.MUL, SimdElementwise::mul);
        binary(BinaryOp.DIV, SimdElementwise::div);
        binary(BinaryOp.MAXIMUM, SimdElementwise::maximum);
        binary(BinaryOp.MINIMUM, SimdElementwise::minimum);
    }

    private static void forward(UnaryOp op, UnaryLoop loop) {
        UnaryOp.Forward f = op.forward();
        FORWARD.put(op, (p, q, x, xo, y, yo, n) -> {
            for (int i = loop.run(p, q, x, xo, y, yo, n); i < n; i++) y[yo + i] = (float) f.apply(x[xo + i], p, q);
        });
    }

    private static void backward(UnaryOp op, UnaryBackwardLoop loop) {
        UnaryOp.Backward f = op.backward();
        BACKWARD.put(op, (p, q, dy, dyo, s, so, dx, dxo, n) -> {
            for (int i = loop.run(p, dy, dyo, s, so, dx, dxo, n); i < n; i++) {
                dx[dxo + i] = (float) f.apply(dy[dyo + i], s == null ? 0 : s[so + i], p, q);
            }
        });
    }

    private static void binary(BinaryOp op, BinaryLoop loop) {
        BinaryOp.Forward f = op.forward();
        BINARY.put(op, (a, ao, b, bo, out, oo, n) -> {
            for (int i = loop.run(a, ao, b, bo, out, oo, n); i < n; i++) out[oo + i] = (float) f.apply(a[ao + i], b[bo + i]);
        });
    }

    @Override
    public Unary unary(UnaryOp op) {
        return FORWARD.get(op);
    }

    @Override
    public UnaryBackward unaryBackward(UnaryOp op) {
        return BACKWARD.get(op);
    }

    @Override
    public Binary binary(BinaryOp op) {
        return BINARY.get(op);
    }

    private static int neg(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.neg().intoArray(y, yo + i);
        }
        return bound;
    }

    private static int addScalar(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.add(p).intoArray(y, yo + i);
        }
        return bound;
    }

    private static int mulScalar(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.mul(p).intoArray(y, yo + i);
        }
        return bound;
    }

    private static int divScalar(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.div(p).intoArray(y, yo + i);
        }
        return bound;
    }

    private static int exp(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            VectorMath.exp(v).intoArray(y, yo + i);
        }
        return bound;
    }

    private static int sqrt(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.sqrt().intoArray(y, yo + i);
        }
        return bound;
    }

    private static int abs(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.abs().intoArray(y, yo + i);
        }
        return bound;
    }

    private static int tanh(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            VectorMath.tanh(v).intoArray(y, yo + i);
        }
        return bound;
    }

    private static int sigmoid(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector.broadcast(S, 1f).div(VectorMath.exp(v.neg()).add(1f)).intoArray(y, yo + i);
        }
        return bound;
    }

    private static int relu(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.blend(0f, v.compare(VectorOperators.LT, 0f)).intoArray(y, yo + i);
        }
        return bound;
    }

    private static int leakyRelu(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.blend(v.mul(p), v.compare(VectorOperators.LE, 0f)).intoArray(y, yo + i);
        }
        return bound;
    }

    private static int clamp(float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.blend(p, v.compare(VectorOperators.LT, p)).blend(q, v.compare(VectorOperators.GT, q)).intoArray(y, yo + i);
        }
        return bound;
    }

    private static int negBackward(float p, float[] dy, int dyo, float[] ss, int so, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            g.neg().intoArray(dx, dxo + i);
        }
        return bound;
    }

    private static int addScalarBackward(float p, float[] dy, int dyo, float[] ss, int so, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            g.intoArray(dx, dxo + i);
        }
        return bound;
    }

    private static int mulScalarBackward(float p, float[] dy, int dyo, float[] ss, int so, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            g.mul(p).intoArray(dx, dxo + i);
        }
        return bound;
    }

    private static int divScalarBackward(float p, float[] dy, int dyo, float[] ss, int so, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            g.div(p).intoArray(dx, dxo + i);
        }
        return bound;
    }

    private static int expBackward(float p, float[] dy, int dyo, float[] ss, int so, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            FloatVector s = FloatVector.fromArray(S, ss, so + i);
            g.mul(s).intoArray(dx, dxo + i);
        }
        return bound;
    }

    private static int tanhBackward(float p, float[] dy, int dyo, float[] ss, int so, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            FloatVector s = FloatVector.fromArray(S, ss, so + i);
            g.mul(s.mul(s).neg().add(1f)).intoArray(dx, dxo + i);
        }
        return bound;
    }

    private static int sigmoidBackward(float p, float[] dy, int dyo, float[] ss, int so, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            FloatVector s = FloatVector.fromArray(S, ss, so + i);
            g.mul(s).mul(s.neg().add(1f)).intoArray(dx, dxo + i);
        }
        return bound;
    }

    private static int reluBackward(float p, float[] dy, int dyo, float[] ss, int so, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            FloatVector s = FloatVector.fromArray(S, ss, so + i);
            g.blend(0f, s.compare(VectorOperators.LE, 0f)).intoArray(dx, dxo + i);
        }
        return bound;
    }

    private static int leakyReluBackward(float p, float[] dy, int dyo, float[] ss, int so, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            FloatVector s = FloatVector.fromArray(S, ss, so + i);
            g.mul(p).blend(g, s.compare(VectorOperators.GT, 0f)).intoArray(dx, dxo + i);
        }
        return bound;
    }

    private static int add(float[] as, int ao, float[] bs, int bo, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, as, ao + i), b = FloatVector.fromArray(S, bs, bo + i);
            a.add(b).intoArray(out, oo + i);
        }
        return bound;
    }

    private static int sub(float[] as, int ao, float[] bs, int bo, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, as, ao + i), b = FloatVector.fromArray(S, bs, bo + i);
            a.sub(b).intoArray(out, oo + i);
        }
        return bound;
    }

    private static int mul(float[] as, int ao, float[] bs, int bo, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, as, ao + i), b = FloatVector.fromArray(S, bs, bo + i);
            a.mul(b).intoArray(out, oo + i);
        }
        return bound;
    }

    private static int div(float[] as, int ao, float[] bs, int bo, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, as, ao + i), b = FloatVector.fromArray(S, bs, bo + i);
            a.div(b).intoArray(out, oo + i);
        }
        return bound;
    }

    private static int maximum(float[] as, int ao, float[] bs, int bo, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, as, ao + i), b = FloatVector.fromArray(S, bs, bo + i);
            a.max(b).intoArray(out, oo + i);
        }
        return bound;
    }

    private static int minimum(float[] as, int ao, float[] bs, int bo, float[] out, int oo, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, as, ao + i), b = FloatVector.fromArray(S, bs, bo + i);
            a.min(b).intoArray(out, oo + i);
        }
        return bound;
    }

    /**
     * Adam/AdamW and SGD (with or without momentum) in float lanes, the operations of their float form
     * ({@link OptimizerStep#apply(int, float[], int, float[], int, float[][], int[])}) in the same order; the tail
     * goes through that form. RMSProp runs its scalar form.
     */
    @Override
    public boolean optimizerStep(OptimizerStep step, int n, float[] p, int po, float[] g, int go, float[][] state, int[] so) {
        int bound = S.loopBound(n);
        if (step instanceof OptimizerStep.Adam a) {
            float[] m = state[0], v = state[1];
            int mo = so[0], vo = so[1];
            float b1 = 1 - (float) a.beta1(), b2 = (float) a.beta2(), c2 = 1 - (float) a.beta2(), e = (float) a.eps(), wd = (float) a.weightDecay();
            float stepSize = (float) a.stepSize(), root = (float) a.rootCorrection(), shrink = (float) (1 - a.lr() * a.weightDecay());
            boolean decoupled = a.decoupled();
            for (int i = 0; i < bound; i += S.length()) {
                FloatVector pi = FloatVector.fromArray(S, p, po + i), gi = FloatVector.fromArray(S, g, go + i);
                if (decoupled) pi = pi.mul(shrink);
                else gi = gi.add(pi.mul(wd));
                FloatVector mOld = FloatVector.fromArray(S, m, mo + i);
                FloatVector mi = mOld.add(gi.sub(mOld).mul(b1));
                FloatVector vi = FloatVector.fromArray(S, v, vo + i).mul(b2).add(gi.mul(c2).mul(gi));
                mi.intoArray(m, mo + i);
                vi.intoArray(v, vo + i);
                pi.sub(mi.mul(stepSize).div(vi.sqrt().div(root).add(e))).intoArray(p, po + i);
            }
        } else if (step instanceof OptimizerStep.Sgd sgd && (sgd.momentum() == 0 || !sgd.firstStep())) {
            float lr = (float) sgd.lr(), mu = (float) sgd.momentum(), damp = 1 - (float) sgd.dampening(), wd = (float) sgd.weightDecay();
            boolean nesterov = sgd.nesterov();
            float[] buf = state[0];
            int bo = so[0];
            for (int i = 0; i < bound; i += S.length()) {
                FloatVector pi = FloatVector.fromArray(S, p, po + i);
                FloatVector d = FloatVector.fromArray(S, g, go + i).add(pi.mul(wd));
                if (mu != 0) {
                    FloatVector b = FloatVector.fromArray(S, buf, bo + i).mul(mu).add(d.mul(damp));
                    b.intoArray(buf, bo + i);
                    d = nesterov ? d.add(b.mul(mu)) : b;
                }
                pi.sub(d.mul(lr)).intoArray(p, po + i);
            }
        } else {
            return false;
        }
        if (bound < n) {
            int[] at = so.clone();
            for (int k = 0; k < at.length; k++) at[k] += bound;
            step.apply(n - bound, p, po + bound, g, go + bound, state, at);
        }
        return true;
    }
}
