package org.tessera.backend;

/**
 * One optimiser step for one parameter, fused into a single pass that reads the parameter, its gradient and its
 * state and writes the parameter and state back (no temporaries, one kernel per parameter on a GPU). The
 * formulas are those of PyTorch 1.13's single-tensor optimisers; {@link #apply} is the Java form (the CPU
 * backend's), {@code optim.cl} in tessera-kernels holds the same in OpenCL C, kernel by kernel.
 *
 * <p>State tensors have the parameter's shape and dtype and start at zero; the slots a step uses are listed by
 * {@link #usesState}, the others are passed as null.
 */
public sealed interface OptimizerStep {

    /** The number of state slots (some may be unused for a given configuration). */
    int stateCount();

    /** Whether state slot {@code i} is read and written by this step. */
    boolean usesState(int i);

    /**
     * Applies the step to elements {@code [0, n)} of dense chunks: {@code p} and the used {@code state[i]} are
     * updated in place; {@code g} is read. Computed in double.
     */
    void apply(int n, double[] p, double[] g, double[][] state);

    /**
     * The same step on F32 arrays, computed in float (as the OpenCL kernels do for F32): elements
     * {@code [0, n)} of {@code p} from {@code po}, {@code g} from {@code go}, {@code state[i]} from
     * {@code so[i]}. One loop without conversions, which C2 vectorises (the double form ran at 0.4x copy speed).
     */
    void apply(int n, float[] p, int po, float[] g, int go, float[][] state, int[] so);

    /**
     * SGD with optional momentum (slot 0: the velocity buffer), dampening, Nesterov momentum and L2 weight
     * decay: {@code d = g + wd p; buf = first ? d : mu buf + (1 - dampening) d; d = nesterov ? d + mu buf : buf;
     * p -= lr d}. {@code firstStep} is true on the parameter's first step, when the buffer takes d as it is.
     */
    record Sgd(double lr, double momentum, double dampening, double weightDecay, boolean nesterov, boolean firstStep)
            implements OptimizerStep {
        public Sgd {
            check("lr", lr, 0, Double.MAX_VALUE);
            check("momentum", momentum, 0, Double.MAX_VALUE);
            check("dampening", dampening, 0, Double.MAX_VALUE);
            check("weight decay", weightDecay, 0, Double.MAX_VALUE);
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("Nesterov momentum needs momentum > 0 and zero dampening, got momentum "
                        + momentum + ", dampening " + dampening);
            }
        }

        @Override public int stateCount() { return 1; }
        @Override public boolean usesState(int i) { return i == 0 && momentum != 0; }

        @Override
        public void apply(int n, double[] p, double[] g, double[][] state) {
            double[] buf = state[0];
            for (int i = 0; i < n; i++) {
                double d = g[i] + weightDecay * p[i];
                if (momentum != 0) {
                    double b = firstStep ? d : momentum * buf[i] + (1 - dampening) * d;
                    buf[i] = b;
                    d = nesterov ? d + momentum * b : b;
                }
                p[i] -= lr * d;
            }
        }

        @Override
        public void apply(int n, float[] p, int po, float[] g, int go, float[][] state, int[] so) {
            float lrf = (float) lr, mu = (float) momentum, damp = 1 - (float) dampening, wd = (float) weightDecay;
            if (momentum == 0) {
                for (int i = 0; i < n; i++) p[po + i] -= lrf * (g[go + i] + wd * p[po + i]);
                return;
            }
            float[] buf = state[0];
            int bo = so[0];
            for (int i = 0; i < n; i++) {
                float pi = p[po + i], d = g[go + i] + wd * pi;
                float b = firstStep ? d : mu * buf[bo + i] + damp * d;
                buf[bo + i] = b;
                p[po + i] = pi - lrf * (nesterov ? d + mu * b : b);
            }
        }
    }

    /**
     * Adam (slots 0 and 1: first and second moments), with L2 weight decay added to the gradient, or with
     * {@code decoupled} decay (AdamW: {@code p *= 1 - lr wd} first). {@code step} counts this step (from 1):
     * {@code m += (1 - b1)(g - m); v = b2 v + (1 - b2) g^2; p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)}.
     */
    record Adam(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled, long step)
            implements OptimizerStep {
        public Adam {
            check("lr", lr, 0, Double.MAX_VALUE);
            check("beta1", beta1, 0, Math.nextDown(1.0));
            check("beta2", beta2, 0, Math.nextDown(1.0));
            check("eps", eps, 0, Double.MAX_VALUE);
            check("weight decay", weightDecay, 0, Double.MAX_VALUE);
            if (step < 1) throw new IllegalArgumentException("Adam step counts from 1, got " + step);
        }

        @Override public int stateCount() { return 2; }
        @Override public boolean usesState(int i) { return i < 2; }

        /** {@code lr / (1 - beta1^step)}: the step size after bias correction of the first moment. */
        public double stepSize() { return lr / (1 - Math.pow(beta1, step)); }

        /** {@code sqrt(1 - beta2^step)}: the bias correction of the second moment's root. */
        public double rootCorrection() { return Math.sqrt(1 - Math.pow(beta2, step)); }

        @Override
        public void apply(int n, double[] p, double[] g, double[][] state) {
            double[] m = state[0], v = state[1];
            double stepSize = stepSize(), root = rootCorrection(), shrink = 1 - lr * weightDecay;
            for (int i = 0; i < n; i++) {
                double gi = g[i], pi = p[i];
                if (decoupled) pi *= shrink;
                else gi += weightDecay * pi;
                double mi = m[i] + (1 - beta1) * (gi - m[i]);
                double vi = beta2 * v[i] + (1 - beta2) * gi * gi;
                m[i] = mi;
                v[i] = vi;
                p[i] = pi - stepSize * mi / (Math.sqrt(vi) / root + eps);
            }
        }

        @Override
        public void apply(int n, float[] p, int po, float[] g, int go, float[][] state, int[] so) {
            float[] m = state[0], v = state[1];
            int mo = so[0], vo = so[1];
            float b1 = 1 - (float) beta1, b2 = (float) beta2, c2 = 1 - (float) beta2, e = (float) eps, wd = (float) weightDecay;
            float stepSize = (float) stepSize(), root = (float) rootCorrection(), shrink = (float) (1 - lr * weightDecay);
            // the two forms of weight decay as separate loops: a branch inside kept C2 from vectorising
            if (decoupled) {
                for (int i = 0; i < n; i++) {
                    float gi = g[go + i], pi = p[po + i] * shrink;
                    float mi = m[mo + i] + b1 * (gi - m[mo + i]);
                    float vi = b2 * v[vo + i] + c2 * gi * gi;
                    m[mo + i] = mi;
                    v[vo + i] = vi;
                    p[po + i] = pi - stepSize * mi / ((float) Math.sqrt(vi) / root + e);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    float pi = p[po + i], gi = g[go + i] + wd * pi;
                    float mi = m[mo + i] + b1 * (gi - m[mo + i]);
                    float vi = b2 * v[vo + i] + c2 * gi * gi;
                    m[mo + i] = mi;
                    v[vo + i] = vi;
                    p[po + i] = pi - stepSize * mi / ((float) Math.sqrt(vi) / root + e);
                }
            }
        }
    }

    /**
     * RMSProp: slot 0 the running mean of squares, slot 1 the momentum buffer (momentum > 0), slot 2 the running
     * mean of gradients ({@code centered}): {@code g += wd p; sq = a sq + (1 - a) g^2; avg = sqrt(sq - ga^2 | sq) + eps;
     * buf = mu buf + g / avg, p -= lr buf} (or {@code p -= lr g / avg} without momentum).
     */
    record RmsProp(double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered)
            implements OptimizerStep {
        public RmsProp {
            check("lr", lr, 0, Double.MAX_VALUE);
            check("alpha", alpha, 0, 1);
            check("eps", eps, 0, Double.MAX_VALUE);
            check("weight decay", weightDecay, 0, Double.MAX_VALUE);
            check("momentum", momentum, 0, Double.MAX_VALUE);
        }

        @Override public int stateCount() { return 3; }
        @Override public boolean usesState(int i) { return i == 0 || (i == 1 && momentum > 0) || (i == 2 && centered); }

        @Override
        public void apply(int n, double[] p, double[] g, double[][] state) {
            double[] sq = state[0], buf = state[1], ga = state[2];
            for (int i = 0; i < n; i++) {
                double gi = g[i] + weightDecay * p[i];
                double s = alpha * sq[i] + (1 - alpha) * gi * gi;
                sq[i] = s;
                double avg;
                if (centered) {
                    double a = alpha * ga[i] + (1 - alpha) * gi;
                    ga[i] = a;
                    avg = Math.sqrt(s - a * a) + eps;
                } else {
                    avg = Math.sqrt(s) + eps;
                }
                if (momentum > 0) {
                    double b = momentum * buf[i] + gi / avg;
                    buf[i] = b;
                    p[i] -= lr * b;
                } else {
                    p[i] -= lr * gi / avg;
                }
            }
        }

        @Override
        public void apply(int n, float[] p, int po, float[] g, int go, float[][] state, int[] so) {
            float[] sq = state[0], buf = state[1], ga = state[2];
            float a = (float) alpha, a1 = 1 - (float) alpha, e = (float) eps, wd = (float) weightDecay, mu = (float) momentum, lrf = (float) lr;
            for (int i = 0; i < n; i++) {
                float pi = p[po + i], gi = g[go + i] + wd * pi;
                float s = a * sq[so[0] + i] + a1 * gi * gi;
                sq[so[0] + i] = s;
                float avg;
                if (centered) {
                    float m = a * ga[so[2] + i] + a1 * gi;
                    ga[so[2] + i] = m;
                    avg = (float) Math.sqrt(s - m * m) + e;
                } else {
                    avg = (float) Math.sqrt(s) + e;
                }
                if (momentum > 0) {
                    float b = mu * buf[so[1] + i] + gi / avg;
                    buf[so[1] + i] = b;
                    p[po + i] = pi - lrf * b;
                } else {
                    p[po + i] = pi - lrf * gi / avg;
                }
            }
        }
    }

    private static void check(String name, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) throw new IllegalArgumentException(name + " must lie in [" + lo + ", " + hi + "], got " + v);
    }
}
