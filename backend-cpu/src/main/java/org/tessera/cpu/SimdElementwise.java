package org.tessera.cpu;

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
 * Each formula mirrors its {@link UnaryOp}/{@link BinaryOp} row (relu and clamp keep NaN and -0 as the rows do);
 * tails shorter than a vector go through the row itself. Loaded only through {@link SimdSupport}.
 */
final class SimdElementwise implements FastElementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Override
    public boolean supports(UnaryOp op, boolean backward) {
        return switch (op) {
            case NEG, ADD_SCALAR, MUL_SCALAR, DIV_SCALAR, EXP, TANH, SIGMOID, RELU, LEAKY_RELU -> true;
            case SQRT, ABS, CLAMP -> !backward;
            default -> false;
        };
    }

    @Override
    public boolean supports(BinaryOp op) {
        return op != BinaryOp.BCE_WITH_LOGITS;
    }

    // One loop method per op: C2 compiles each on its own with everything in it inlined. One loop with a switch
    // over every op inside was too big to inline all of VectorMath into: tanh then ran out of line, on boxed
    // vectors (108 us for 64 x 256 elements in an MLP step against 40 us alone). Each returns how many elements
    // it did (whole vectors); the rest goes through the op's row.

    @Override
    public boolean unary(UnaryOp op, float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        int done = switch (op) {
            case NEG -> neg(p, q, x, xo, y, yo, n);
            case ADD_SCALAR -> addScalar(p, q, x, xo, y, yo, n);
            case MUL_SCALAR -> mulScalar(p, q, x, xo, y, yo, n);
            case DIV_SCALAR -> divScalar(p, q, x, xo, y, yo, n);
            case EXP -> exp(p, q, x, xo, y, yo, n);
            case SQRT -> sqrt(p, q, x, xo, y, yo, n);
            case ABS -> abs(p, q, x, xo, y, yo, n);
            case TANH -> tanh(p, q, x, xo, y, yo, n);
            case SIGMOID -> sigmoid(p, q, x, xo, y, yo, n);
            case RELU -> relu(p, q, x, xo, y, yo, n);
            case LEAKY_RELU -> leakyRelu(p, q, x, xo, y, yo, n);
            case CLAMP -> clamp(p, q, x, xo, y, yo, n);
            default -> -1;
        };
        if (done < 0) return false;
        UnaryOp.Forward f = op.forward();
        for (int i = done; i < n; i++) y[yo + i] = (float) f.apply(x[xo + i], p, q);
        return true;
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

    @Override
    public boolean unaryBackward(UnaryOp op, float p, float q, float[] dy, int dyo, float[] s, int so, float[] dx, int dxo, int n) {
        int done = switch (op) {
            case NEG -> negBackward(p, dy, dyo, s, so, dx, dxo, n);
            case ADD_SCALAR -> addScalarBackward(p, dy, dyo, s, so, dx, dxo, n);
            case MUL_SCALAR -> mulScalarBackward(p, dy, dyo, s, so, dx, dxo, n);
            case DIV_SCALAR -> divScalarBackward(p, dy, dyo, s, so, dx, dxo, n);
            case EXP -> expBackward(p, dy, dyo, s, so, dx, dxo, n);
            case TANH -> tanhBackward(p, dy, dyo, s, so, dx, dxo, n);
            case SIGMOID -> sigmoidBackward(p, dy, dyo, s, so, dx, dxo, n);
            case RELU -> reluBackward(p, dy, dyo, s, so, dx, dxo, n);
            case LEAKY_RELU -> leakyReluBackward(p, dy, dyo, s, so, dx, dxo, n);
            default -> -1;
        };
        if (done < 0) return false;
        UnaryOp.Backward f = op.backward();
        for (int i = done; i < n; i++) dx[dxo + i] = (float) f.apply(dy[dyo + i], s == null ? 0 : s[so + i], p, q);
        return true;
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

    @Override
    public boolean binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int done = switch (op) {
            case ADD -> add(a, ao, b, bo, out, oo, n);
            case SUB -> sub(a, ao, b, bo, out, oo, n);
            case MUL -> mul(a, ao, b, bo, out, oo, n);
            case DIV -> div(a, ao, b, bo, out, oo, n);
            case MAXIMUM -> maximum(a, ao, b, bo, out, oo, n);
            case MINIMUM -> minimum(a, ao, b, bo, out, oo, n);
            default -> -1;
        };
        if (done < 0) return false;
        BinaryOp.Forward f = op.forward();
        for (int i = done; i < n; i++) out[oo + i] = (float) f.apply(a[ao + i], b[bo + i]);
        return true;
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
