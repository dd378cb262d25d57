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
        List<Tensor> analytic = Autograd.grad(List.of(loss), wrt);
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
