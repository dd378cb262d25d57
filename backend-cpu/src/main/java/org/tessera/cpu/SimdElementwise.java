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
 * Each formula mirrors its {@link UnaryOp}/{@link BinaryOp} row; tails shorter than a vector go through the row
 * itself. Loaded only through {@link SimdSupport}.
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

    @Override
    public boolean unary(UnaryOp op, float p, float q, float[] x, int xo, float[] y, int yo, int n) {
        if (!supports(op, false)) return false;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector r = switch (op) {
                case NEG -> v.neg();
                case ADD_SCALAR -> v.add(p);
                case MUL_SCALAR -> v.mul(p);
                case DIV_SCALAR -> v.div(p);
                case EXP -> VectorMath.exp(v);
                case SQRT -> v.sqrt();
                case ABS -> v.abs();
                case TANH -> VectorMath.tanh(v);
                // 1 / (1 + e^-x): e^-x is +Inf for x < -88.7, giving exactly 0
                case SIGMOID -> FloatVector.broadcast(S, 1f).div(VectorMath.exp(v.neg()).add(1f));
                // not v.max(0f): Math.max makes -0 into +0; relu keeps -0 (and NaN), as the row
                case RELU -> v.blend(0f, v.compare(VectorOperators.LT, 0f));
                case LEAKY_RELU -> v.blend(v.mul(p), v.compare(VectorOperators.LE, 0f));
                case CLAMP -> v.blend(p, v.compare(VectorOperators.LT, p)).blend(q, v.compare(VectorOperators.GT, q));
                default -> throw new AssertionError(op);
            };
            r.intoArray(y, yo + i);
        }
        UnaryOp.Forward f = op.forward();
        for (; i < n; i++) y[yo + i] = (float) f.apply(x[xo + i], p, q);
        return true;
    }

    @Override
    public boolean unaryBackward(UnaryOp op, float p, float q, float[] dy, int dyo, float[] s, int so, float[] dx, int dxo, int n) {
        if (!supports(op, true)) return false;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            FloatVector r = switch (op) {
                case NEG -> g.neg();
                case ADD_SCALAR -> g;
                case MUL_SCALAR -> g.mul(p);
                case DIV_SCALAR -> g.div(p);
                case EXP -> g.mul(FloatVector.fromArray(S, s, so + i));
                case TANH -> {
                    FloatVector y = FloatVector.fromArray(S, s, so + i);
                    yield g.mul(y.mul(y).neg().add(1f));
                }
                case SIGMOID -> {
                    FloatVector y = FloatVector.fromArray(S, s, so + i);
                    yield g.mul(y).mul(y.neg().add(1f));
                }
                case RELU -> {
                    VectorMask<Float> off = FloatVector.fromArray(S, s, so + i).compare(VectorOperators.LE, 0f);
                    yield g.blend(0f, off);
                }
                case LEAKY_RELU -> {   // x > 0 ? dy : dy * p, so NaN takes dy * p as the row does
                    VectorMask<Float> on = FloatVector.fromArray(S, s, so + i).compare(VectorOperators.GT, 0f);
                    yield g.mul(p).blend(g, on);
                }
                default -> throw new AssertionError(op);
            };
            r.intoArray(dx, dxo + i);
        }
        UnaryOp.Backward f = op.backward();
        for (; i < n; i++) dx[dxo + i] = (float) f.apply(dy[dyo + i], s == null ? 0 : s[so + i], p, q);
        return true;
    }

    @Override
    public boolean binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        if (!supports(op)) return false;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, a, ao + i);
            FloatVector y = FloatVector.fromArray(S, b, bo + i);
            FloatVector r = switch (op) {
                case ADD -> x.add(y);
                case SUB -> x.sub(y);
                case MUL -> x.mul(y);
                case DIV -> x.div(y);
                case MAXIMUM -> x.max(y);
                case MINIMUM -> x.min(y);
                default -> throw new AssertionError(op);
            };
            r.intoArray(out, oo + i);
        }
        BinaryOp.Forward f = op.forward();
        for (; i < n; i++) out[oo + i] = (float) f.apply(a[ao + i], b[bo + i]);
        return true;
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
