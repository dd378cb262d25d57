package org.tessera.backend;

/**
 * Every elementwise binary op with its two vector-Jacobian products, in Java and in OpenCL C.
 *
 * <p>Names in scope: {@code a} and {@code b} the inputs (already broadcast to the output's shape),
 * {@code dy} the upstream gradient. {@code da} and {@code db} are the gradients in the broadcast shape;
 * autograd sums them back over broadcast dimensions. The "da reads"/"db reads" columns name the operands
 * each gradient formula reads, so autograd keeps only what the gradients it will compute need.
 */
public enum BinaryOp {
    //        name        int?   da reads db reads forward               da                                             db                                              OpenCL C forward, da, db
    ADD     ("add",       true,  "",   "",     (a, b) -> a + b,        (dy, a, b) -> dy,                              (dy, a, b) -> dy,                               "a + b", "dy", "dy"),
    SUB     ("sub",       true,  "",   "",     (a, b) -> a - b,        (dy, a, b) -> dy,                              (dy, a, b) -> -dy,                              "a - b", "dy", "-dy"),
    MUL     ("mul",       true,  "b",  "a",    (a, b) -> a * b,        (dy, a, b) -> dy * b,                          (dy, a, b) -> dy * a,                           "a * b", "dy * b", "dy * a"),
    // db as PyTorch's div_tensor_other_backward: -dy * ((a / b) / b), the same infinities and NaNs
    DIV     ("div",       false, "b",  "ab",   (a, b) -> a / b,        (dy, a, b) -> dy / b,                          (dy, a, b) -> -dy * (a / b / b),                "a / b", "dy / b", "-dy * (a / b / b)"),
    // NaN propagates and +0 > -0 (Math.max/min, IEEE 754-2019 maximum; OpenCL's fmax/fmin return the non-NaN
    // operand and either zero, so the C formula spells it out; PyTorch's own -0/+0 result depends on its code path).
    // Gradients as PyTorch: a tie splits dy in half, and an input that is not smaller (NaN included) gets all of it.
    MAXIMUM ("maximum",   true,  "ab", "ab",   Math::max,              (dy, a, b) -> a < b ? 0 : a == b ? dy / 2 : dy, (dy, a, b) -> a > b ? 0 : a == b ? dy / 2 : dy,
             "isnan(a) || isnan(b) ? a + b : a > b ? a : b > a ? b : signbit(a) ? b : a", "a < b ? (CT) 0 : a == b ? dy / 2 : dy", "a > b ? (CT) 0 : a == b ? dy / 2 : dy"),
    MINIMUM ("minimum",   true,  "ab", "ab",   Math::min,              (dy, a, b) -> a > b ? 0 : a == b ? dy / 2 : dy, (dy, a, b) -> a < b ? 0 : a == b ? dy / 2 : dy,
             "isnan(a) || isnan(b) ? a + b : a < b ? a : b < a ? b : signbit(a) ? a : b", "a > b ? (CT) 0 : a == b ? dy / 2 : dy", "a < b ? (CT) 0 : a == b ? dy / 2 : dy"),
    // 1 where a equals b or both are NaN, else 0; no gradient. Which elements a full max() or min() picked (the
    // NaNs where the result is NaN), so their gradient is spread evenly over ties, as PyTorch's
    // evenly_distribute_backward does. Floats only (backward of a float reduction).
    SAME    ("same",      false, "",   "",     (a, b) -> a == b || a != a && b != b ? 1 : 0, (dy, a, b) -> 0,   (dy, a, b) -> 0,
             "a == b || (isnan(a) && isnan(b)) ? (CT) 1 : (CT) 0", "(CT) 0", "(CT) 0"),
    // Binary cross-entropy of logits a against targets b, per element, stable for any magnitude:
    // (1 - b) a + m + log(e^-m + e^(-a-m)), m = max(-a, 0): PyTorch's form term by term, so the same values (NaN at
    // a = -Inf included); its own gradient sigmoid(a) - b (0.5 - b at a = 0, where relu and abs would give -b), and
    // -a for the target.
    BCE_WITH_LOGITS("bceWithLogits", false, "ab", "a",
             (a, b) -> { double m = Math.max(-a, 0); return (1 - b) * a + m + Math.log(Math.exp(-m) + Math.exp(-a - m)); },
             (dy, a, b) -> dy * (UnaryOp.Functions.sigmoid(a) - b), (dy, a, b) -> -dy * a,
             "(1 - b) * a + fmax(-a, (CT) 0) + log(exp(-fmax(-a, (CT) 0)) + exp(-a - fmax(-a, (CT) 0)))",
             "dy * ((a >= 0 ? 1 / (1 + exp(-a)) : exp(a) / (1 + exp(a))) - b)", "-dy * a");

    @FunctionalInterface
    public interface Forward {
        double apply(double a, double b);
    }

    @FunctionalInterface
    public interface Backward {
        double apply(double dy, double a, double b);
    }

    private final String opName;
    private final boolean integerAllowed;
    private final String daReads;
    private final String dbReads;
    private final Forward forward;
    private final Backward backwardA;
    private final Backward backwardB;
    private final String clForward;
    private final String clBackwardA;
    private final String clBackwardB;

    BinaryOp(String opName, boolean integerAllowed, String daReads, String dbReads, Forward forward,
             Backward backwardA, Backward backwardB, String clForward, String clBackwardA, String clBackwardB) {
        this.opName = opName;
        this.integerAllowed = integerAllowed;
        this.daReads = daReads;
        this.dbReads = dbReads;
        this.forward = forward;
        this.backwardA = backwardA;
        this.backwardB = backwardB;
        this.clForward = clForward;
        this.clBackwardA = clBackwardA;
        this.clBackwardB = clBackwardB;
    }

    public String opName() { return opName; }
    public boolean integerAllowed() { return integerAllowed; }
    /** Whether the gradient formula of input {@code gradOf} (0 = a, 1 = b) reads operand {@code operand}. */
    public boolean reads(int gradOf, int operand) {
        return (gradOf == 0 ? daReads : dbReads).indexOf(operand == 0 ? 'a' : 'b') >= 0;
    }
    public Forward forward() { return forward; }
    /** The vector-Jacobian product for input 0 ({@code a}) or 1 ({@code b}). */
    public Backward backward(int input) { return input == 0 ? backwardA : backwardB; }
    public String clForward() { return clForward; }
    public String clBackward(int input) { return input == 0 ? clBackwardA : clBackwardB; }
}
