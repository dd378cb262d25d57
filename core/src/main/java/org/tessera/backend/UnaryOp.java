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
    ABS       ("abs",        Saves.X,    true,  (x, p, q) -> Math.abs(x),                          (dy, x, p, q) -> dy * Math.signum(x),                   "fabs(x)",                                "dy * sign(x)"),
    // d/dx x^p = p*x^(p-1); PyTorch defines the gradient of x^0 as 0 everywhere (also at x = 0).
    POW       ("pow",        Saves.X,    false, (x, p, q) -> Math.pow(x, p),                       (dy, x, p, q) -> p == 0 ? 0 : dy * p * Math.pow(x, p - 1), "pow(x, p)",                          "p == 0 ? 0 : dy * p * pow(x, p - 1)"),
    // past 9.1 (float) or 19.1 (double) tanh rounds to +-1; PoCL's tanh returned 0.99999994 there, even for +Inf
    TANH      ("tanh",       Saves.Y,    false, (x, p, q) -> Math.tanh(x),                         (dy, y, p, q) -> dy * (1 - y * y),                      "fabs(x) > (sizeof(CT) == 4 ? (CT) 9.1f : (CT) 19.1) ? copysign((CT) 1, x) : tanh(x)", "dy * (1 - y * y)"),
    // Two branches so that exp never overflows: for x < 0 use e^x / (1 + e^x).
    SIGMOID   ("sigmoid",    Saves.Y,    false, (x, p, q) -> Functions.sigmoid(x),                 (dy, y, p, q) -> dy * y * (1 - y),                      "x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))", "dy * y * (1 - y)"),
    RELU      ("relu",       Saves.X,    false, (x, p, q) -> x > 0 ? x : 0,                        (dy, x, p, q) -> x > 0 ? dy : 0,                        "x > 0 ? x : 0",                          "x > 0 ? dy : 0"),
    LEAKY_RELU("leakyRelu",  Saves.X,    false, (x, p, q) -> x > 0 ? x : x * p,                    (dy, x, p, q) -> x > 0 ? dy : dy * p,                   "x > 0 ? x : x * p",                      "x > 0 ? dy : dy * p"),
    ELU       ("elu",        Saves.X,    false, (x, p, q) -> x > 0 ? x : p * Math.expm1(x),        (dy, x, p, q) -> x > 0 ? dy : dy * p * Math.exp(x),     "x > 0 ? x : p * expm1(x)",               "x > 0 ? dy : dy * p * exp(x)"),
    // log(1 + e^x), linear above 20 as in PyTorch, where the difference is below double epsilon.
    SOFTPLUS  ("softplus",   Saves.X,    false, (x, p, q) -> x > 20 ? x : Math.log1p(Math.exp(x)), (dy, x, p, q) -> dy * Functions.sigmoid(x),          "x > 20 ? x : log1p(exp(x))",             "dy / (1 + exp(-x))"),
    // The gradient passes where min <= x <= max (inclusive, as PyTorch).
    CLAMP     ("clamp",      Saves.X,    true,  (x, p, q) -> Math.min(Math.max(x, p), q),          (dy, x, p, q) -> x >= p && x <= q ? dy : 0,             "isnan(x) ? x : fmin(fmax(x, p), q)",    "x >= p && x <= q ? dy : 0");

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

        static double sigmoid(double x) {
            if (x >= 0) return 1 / (1 + Math.exp(-x));
            double e = Math.exp(x);
            return e / (1 + e);
        }
    }
}
