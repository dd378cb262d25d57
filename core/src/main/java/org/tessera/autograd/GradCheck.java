package org.tessera.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.tessera.DType;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * Compares autograd's gradients with central finite differences, in F64. The function's output is reduced
 * to a scalar with fixed random weights ({@code L = Σ w ⊙ f(x)}), so every output element is checked without
 * building a Jacobian; then each input element is perturbed by ±eps.
 */
public final class GradCheck {
    public static final double DEFAULT_EPS = 1e-6;
    public static final double DEFAULT_ATOL = 1e-5;
    public static final double DEFAULT_RTOL = 1e-3;

    private GradCheck() {}

    /** Thrown when an analytic gradient disagrees with the numeric one; says which input and element. */
    public static final class Mismatch extends RuntimeException {
        Mismatch(String message) {
            super(message);
        }
    }

    /**
     * Checks with PyTorch's default tolerances. Like {@code torch.autograd.gradcheck} (whose {@code raise_exception}
     * defaults to true) it returns true or throws {@link Mismatch}: it never returns false, so call it as a statement
     * (a test fails by the exception, which names the input and element). {@link #report} gives the verdict as a value.
     */
    public static boolean check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        return check(f, inputs, DEFAULT_EPS, DEFAULT_ATOL, DEFAULT_RTOL);
    }

    /** {@link #check(Function, List)} with explicit tolerances: true, or {@link Mismatch}. */
    public static boolean check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, double eps, double atol, double rtol) {
        Report r = report(f, inputs, eps, atol, rtol);
        if (r.worst() > 1) {
            throw new Mismatch("gradient mismatch for input " + r.input() + " " + java.util.Arrays.toString(inputs.get(r.input()).shape())
                    + " at flat element " + r.element() + ": analytic " + r.analytic() + ", numeric " + r.numeric()
                    + " (atol " + atol + ", rtol " + rtol + ")");
        }
        return true;
    }

    /**
     * The comparison behind {@link #check}, for reports: {@code maxAbsError} over every element of every input that
     * requires grad, and the worst element's error as a share of its tolerance {@code atol + rtol |numeric|}
     * ({@code worst <= 1} passes), with where it was and both values.
     */
    public record Report(int elements, double maxAbsError, double worst, int input, int element, double analytic, double numeric) {
        public boolean passed() {
            return worst <= 1;
        }
    }

    /**
     * A second-order check, as {@code torch.autograd.gradgradcheck}: {@link #check} applied to the function that maps the
     * inputs to the gradient of {@code Σ w ⊙ f} (fixed random weights w), made with createGraph and flattened into one
     * vector. Its analytic gradient is a double backward through {@code f}; the numeric one, finite differences of
     * first-order gradients. Returns true or throws {@link Mismatch}, naming the input and element.
     */
    public static boolean checkSecondOrder(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        return check(firstOrderGradient(f), inputs, DEFAULT_EPS, DEFAULT_ATOL, DEFAULT_RTOL);
    }

    /** The second-order comparison behind {@link #checkSecondOrder}, as a {@link Report}. */
    public static Report reportSecondOrder(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, double eps, double atol, double rtol) {
        return report(firstOrderGradient(f), inputs, eps, atol, rtol);
    }

    /**
     * {@code x -> grad(Σ w ⊙ f(x), x)}, every input that requires grad's gradient flattened and concatenated (zeros for
     * an input the output does not depend on), recorded so that it can be differentiated again. Inputs that arrive
     * without requires-grad (the finite-difference evaluations run under noGrad) are differentiated through copies.
     */
    private static Function<List<Tensor>, Tensor> firstOrderGradient(Function<List<Tensor>, Tensor> f) {
        return in -> {
            try (var on = Autograd.enableGrad()) {
                List<Tensor> xs = new ArrayList<>(), wrt = new ArrayList<>();
                for (Tensor t : in) {
                    Tensor x = t.requiresGrad() || !t.dtype().isFloating() ? t : t.detach().requiresGrad(true);
                    xs.add(x);
                    if (x.requiresGrad()) wrt.add(x);
                }
                Tensor out = f.apply(xs);
                Tensor weights = Tensor.rand(out.device(), DType.F64, new Rng(4321), out.shape()).add(0.5);
                Tensor loss = out.mul(weights).sum();
                List<Tensor> flat = new ArrayList<>();
                for (Tensor g : gradientsOrZeros(loss, wrt)) flat.add(g.reshape(-1));
                return Tensor.cat(flat, 0);
            }
        };
    }

    /**
     * The gradient of {@code loss} towards each of {@code wrt}, recorded (createGraph); zeros for an input that it does
     * not depend on, as PyTorch's checks treat an unused input (a linear function's gradient depends on nothing).
     */
    private static List<Tensor> gradientsOrZeros(Tensor loss, List<Tensor> wrt) {
        List<Tensor> grads = loss.requiresGrad() ? Autograd.grad(List.of(loss), wrt, null, true, true, true) : null;
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < wrt.size(); i++) {
            Tensor g = grads == null ? null : grads.get(i);
            out.add(g != null ? g : Tensor.zeros(wrt.get(i).device(), wrt.get(i).dtype(), wrt.get(i).shape()));
        }
        return out;
    }

    public static Report report(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, double eps, double atol, double rtol) {
        for (int i = 0; i < inputs.size(); i++) {
            Tensor in = inputs.get(i);
            if (in.dtype() != DType.F64) {
                throw new IllegalArgumentException("GradCheck needs F64 inputs for accurate finite differences; input " + i
                        + " is " + in.dtype() + " (convert with to(DType.F64))");
            }
        }
        List<Tensor> leaves = new ArrayList<>();
        for (Tensor in : inputs) leaves.add(in.detach().requiresGrad(in.requiresGrad()));
        Tensor out = f.apply(leaves);
        Tensor weights = Tensor.rand(out.device(), DType.F64, new Rng(1234), out.shape()).add(0.5);
        Tensor loss = out.mul(weights).sum();
        List<Tensor> wrt = new ArrayList<>();
        for (Tensor l : leaves) if (l.requiresGrad()) wrt.add(l);
        if (wrt.isEmpty()) throw new IllegalArgumentException("GradCheck: no input requires grad");
        List<Tensor> analytic = gradientsOrZeros(loss, wrt);
        int a = 0, elements = 0, worstInput = -1, worstElement = -1;
        double maxAbs = 0, worst = 0, worstAnalytic = 0, worstNumeric = 0;
        for (int i = 0; i < leaves.size(); i++) {
            if (!leaves.get(i).requiresGrad()) continue;
            double[] got = analytic.get(a++).toDoubleArray();
            double[] x = leaves.get(i).toDoubleArray();
            for (int j = 0; j < x.length; j++) {
                double plus = evaluate(f, leaves, i, x, j, x[j] + eps, weights);
                double minus = evaluate(f, leaves, i, x, j, x[j] - eps, weights);
                double numeric = (plus - minus) / (2 * eps);
                double err = Math.abs(got[j] - numeric), share = err / (atol + rtol * Math.abs(numeric));
                elements++;
                maxAbs = Math.max(maxAbs, err);
                if (!(share <= worst)) {      // NaN counts as the worst
                    worst = Double.isNaN(share) ? Double.POSITIVE_INFINITY : share;
                    worstInput = i;
                    worstElement = j;
                    worstAnalytic = got[j];
                    worstNumeric = numeric;
                }
            }
        }
        return new Report(elements, maxAbs, worst, worstInput, worstElement, worstAnalytic, worstNumeric);
    }

    private static double evaluate(Function<List<Tensor>, Tensor> f, List<Tensor> leaves, int which, double[] x, int j,
                                   double value, Tensor weights) {
        double[] moved = x.clone();
        moved[j] = value;
        List<Tensor> args = new ArrayList<>(leaves);
        Tensor in = leaves.get(which);
        args.set(which, Tensor.of(in.device(), moved, in.shape()));
        try (var off = Autograd.noGrad()) {
            return f.apply(args).mul(weights).sum().item();
        }
    }
}
