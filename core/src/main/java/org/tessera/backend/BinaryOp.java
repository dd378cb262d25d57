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
    DIV     ("div",       false, "b",  "ab",   (a, b) -> a / b,        (dy, a, b) -> dy / b,                          (dy, a, b) -> -dy * a / (b * b),                "a / b", "dy / b", "-dy * a / (b * b)"),
    // Ties split the gradient in half between both inputs, as PyTorch does.
    // NaN propagates, as Math.max and PyTorch (OpenCL's fmax/fmin return the other operand)
    MAXIMUM ("maximum",   true,  "ab", "ab",   Math::max,              (dy, a, b) -> a > b ? dy : a == b ? dy / 2 : 0, (dy, a, b) -> b > a ? dy : a == b ? dy / 2 : 0, "isnan(a) || isnan(b) ? a + b : fmax(a, b)", "a > b ? dy : a == b ? dy / 2 : 0", "b > a ? dy : a == b ? dy / 2 : 0"),
    MINIMUM ("minimum",   true,  "ab", "ab",   Math::min,              (dy, a, b) -> a < b ? dy : a == b ? dy / 2 : 0, (dy, a, b) -> b < a ? dy : a == b ? dy / 2 : 0, "isnan(a) || isnan(b) ? a + b : fmin(a, b)", "a < b ? dy : a == b ? dy / 2 : 0", "b < a ? dy : a == b ? dy / 2 : 0");

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
