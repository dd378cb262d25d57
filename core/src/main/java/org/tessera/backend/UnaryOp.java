package org.tessera.backend;

/**
 * Every elementwise unary op, forward and backward side by side, in Java and in OpenCL C.
 *
 * <p>Names in scope of the formulas: {@code x} the input, {@code y} the output, {@code dy} the upstream
 * gradient, {@code p} and {@code q} the op's scalar parameters (exponent, slope, bounds). The backward
 * formula is the vector-Jacobian product {@code dx}; it reads only {@code dy}, the parameters and the
 * one tensor named by {@link #saves()} (whichever of x or y is cheapest), so autograd keeps only that.
 * Java formulas run in double precision; backends round to the tensor's dtype when they store.
 *
 * <p>Adding an op is one row here plus a row in the conformance suite's op list.
 */
public enum UnaryOp {
    //          name         saves        int?   Java forward                                       Java backward (dx)                                      OpenCL C forward                         OpenCL C backward
    NEG       ("neg",        Saves.NONE, true,  (x, p, q) -> -x,                                   (dy, s, p, q) -> -dy,                                   "-x",                                     "-dy"),
    ADD_SCALAR("add",        Saves.NONE, true,  (x, p, q) -> x + p,                                (dy, s, p, q) -> dy,                                    "x + p",                                  "dy"),
    MUL_SCALAR("mul",        Saves.NONE, true,  (x, p, q) -> x * p,                                (dy, s, p, q) -> dy * p,                                "x * p",                                  "dy * p"),
    DIV_SCALAR("div",        Saves.NONE, false, (x, p, q) -> x / p,                                (dy, s, p, q) -> dy / p,                                "x / p",                                  "dy / p"),
    EXP       ("exp",        Saves.Y,    false, (x, p, q) -> Math.exp(x),                          (dy, y, p, q) -> dy * y,                                "exp(x)",                                 "dy * y"),
    LOG       ("log",        Saves.X,    false, (x, p, q) -> Math.log(x),                          (dy, x, p, q) -> dy / x,                                "log(x)",                                 "dy / x"),
    SQRT      ("sqrt",       Saves.Y,    false, (x, p, q) -> Math.sqrt(x),                         (dy, y, p, q) -> dy / (2 * y),                          "sqrt(x)",                                "dy / (2 * y)"),
    // sign(x) is 0 at NaN and at +-0, as PyTorch's sgn (Math.signum gives NaN and -0, OpenCL's sign -0)
    ABS       ("abs",        Saves.X,    true,  (x, p, q) -> Math.abs(x),                          (dy, x, p, q) -> dy * (x > 0 ? 1 : x < 0 ? -1 : 0),     "fabs(x)",                                "dy * (x > 0 ? (CT) 1 : x < 0 ? (CT) -1 : (CT) 0)"),
    // d/dx x^p = p*x^(p-1); PyTorch defines the gradient of x^0 as 0 everywhere (also at x = 0).
    // x^p with PyTorch's special exponents (0.5 is sqrt, so (-Inf)^0.5 is NaN; 2 and 3 are products; -0.5, -1, -2
    // reciprocals of those), the gradient as PyTorch's pow_backward: dy * (p x^(p-1)).
    POW       ("pow",        Saves.X,    false, (x, p, q) -> Functions.pow(x, p),                  (dy, x, p, q) -> p == 0 ? 0 : dy * (p * Functions.pow(x, p - 1)), "pow_scalar(x, p)",             "p == 0 ? (CT) 0 : dy * (p * pow_scalar(x, p - 1))"),
    // past 9.1 (float) or 19.1 (double) tanh rounds to +-1; PoCL's tanh returned 0.99999994 there, even for +Inf
    TANH      ("tanh",       Saves.Y,    false, (x, p, q) -> Math.tanh(x),                         (dy, y, p, q) -> dy * (1 - y * y),                      "fabs(x) > (sizeof(CT) == 4 ? (CT) 9.1f : (CT) 19.1) ? copysign((CT) 1, x) : tanh(x)", "dy * (1 - y * y)"),
    // Two branches so that exp never overflows: for x < 0 use e^x / (1 + e^x).
    SIGMOID   ("sigmoid",    Saves.Y,    false, (x, p, q) -> Functions.sigmoid(x),                 (dy, y, p, q) -> dy * y * (1 - y),                      "x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))", "dy * y * (1 - y)"),
    // Comparisons are written so that NaN propagates (relu(NaN) = NaN) and -0 stays -0, as in PyTorch; the
    // gradient passes where x is not <= 0 (NaN included), as PyTorch's threshold_backward.
    RELU      ("relu",       Saves.X,    false, (x, p, q) -> x < 0 ? 0 : x,                        (dy, x, p, q) -> x <= 0 ? 0 : dy,                       "x < 0 ? (CT) 0 : x",                     "x <= 0 ? (CT) 0 : dy"),
    LEAKY_RELU("leakyRelu",  Saves.X,    false, (x, p, q) -> x > 0 ? x : x * p,                    (dy, x, p, q) -> x > 0 ? dy : dy * p,                   "x > 0 ? x : x * p",                      "x > 0 ? dy : dy * p"),
    // elu(-0) = +0, as PyTorch (p * expm1(-0) would be -0)
    ELU       ("elu",        Saves.X,    false, (x, p, q) -> x > 0 ? x : x == 0 ? 0 : p * Math.expm1(x), (dy, x, p, q) -> x > 0 ? dy : dy * p * Math.exp(x), "x > 0 ? x : x == 0 ? (CT) 0 : p * expm1(x)", "x > 0 ? dy : dy * p * exp(x)"),
    // log(1 + e^x), linear above 20 as in PyTorch, where the difference is below double epsilon.
    SOFTPLUS  ("softplus",   Saves.X,    false, (x, p, q) -> x > 20 ? x : Math.log1p(Math.exp(x)), (dy, x, p, q) -> dy * Functions.sigmoid(x),          "x > 20 ? x : log1p(exp(x))",             "dy / (1 + exp(-x))"),
    // NaN propagates and x stays itself inside the bounds (-0 too), as PyTorch; the gradient passes where
    // min <= x <= max (inclusive, as PyTorch).
    CLAMP     ("clamp",      Saves.X,    true,  (x, p, q) -> x < p ? p : x > q ? q : x,            (dy, x, p, q) -> x >= p && x <= q ? dy : 0,             "x < p ? p : x > q ? q : x",              "x >= p && x <= q ? dy : 0");

    /** Which tensor the backward formula reads besides {@code dy}. */
    public enum Saves { NONE, X, Y }

    @FunctionalInterface
    public interface Forward {
        double apply(double x, double p, double q);
    }

    @FunctionalInterface
    public interface Backward {
        /** {@code s} is the saved tensor's element: x or y as {@link #saves()} says, 0 for NONE. */
        double apply(double dy, double s, double p, double q);
    }

    private final String opName;
    private final Saves saves;
    private final boolean integerAllowed;
    private final Forward forward;
    private final Backward backward;
    private final String clForward;
    private final String clBackward;

    UnaryOp(String opName, Saves saves, boolean integerAllowed, Forward forward, Backward backward,
            String clForward, String clBackward) {
        this.opName = opName;
        this.saves = saves;
        this.integerAllowed = integerAllowed;
        this.forward = forward;
        this.backward = backward;
        this.clForward = clForward;
        this.clBackward = clBackward;
    }

    /** The user-facing name, as in {@code Tensor}'s method and in error messages. */
    public String opName() { return opName; }
    public Saves saves() { return saves; }
    /** Whether the op is defined on I32 tensors (computed exactly in integers). */
    public boolean integerAllowed() { return integerAllowed; }
    public Forward forward() { return forward; }
    public Backward backward() { return backward; }
    public String clForward() { return clForward; }
    public String clBackward() { return clBackward; }

    /** Scalar helpers shared by the Java formulas. */
    static final class Functions {
        private Functions() {}

        /** x^p as PyTorch computes a tensor to a scalar power (pow_tensor_scalar_optimized_kernel); pow_scalar in elementwise.cl. */
        static double pow(double x, double p) {
            if (p == 0.5) return Math.sqrt(x);
            if (p == 2) return x * x;
            if (p == 3) return x * x * x;
            if (p == -0.5) return 1 / Math.sqrt(x);
            if (p == -1) return 1 / x;
            if (p == -2) return 1 / (x * x);
            return Math.pow(x, p);
        }

        static double sigmoid(double x) {
            if (x >= 0) return 1 / (1 + Math.exp(-x));
            double e = Math.exp(x);
            return e / (1 + e);
        }
    }
}
