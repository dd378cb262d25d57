package org.tessera.backend;

/**
 * Every elementwise binary op with its two vector-Jacobian products, in Java and in OpenCL C.
 *
 * <p>Names in scope: {@code a} and {@code b} the inputs (already broadcast to the output's shape),
 * {@code dy} the upstream gradient. {@code da} and {@code db} are the gradients in the broadcast shape;
 * autograd sums them back over broadcast dimensions. {@link #savesA()}/{@link #savesB()} say which
 * inputs any backward formula reads, so autograd keeps only those.
 */
public enum BinaryOp {
    //        name        int?   saves a, b     forward                 da                                             db                                              OpenCL C forward, da, db
    ADD     ("add",       true,  false, false, (a, b) -> a + b,        (dy, a, b) -> dy,                              (dy, a, b) -> dy,                               "a + b", "dy", "dy"),
    SUB     ("sub",       true,  false, false, (a, b) -> a - b,        (dy, a, b) -> dy,                              (dy, a, b) -> -dy,                              "a - b", "dy", "-dy"),
    MUL     ("mul",       true,  true,  true,  (a, b) -> a * b,        (dy, a, b) -> dy * b,                          (dy, a, b) -> dy * a,                           "a * b", "dy * b", "dy * a"),
    DIV     ("div",       false, true,  true,  (a, b) -> a / b,        (dy, a, b) -> dy / b,                          (dy, a, b) -> -dy * a / (b * b),                "a / b", "dy / b", "-dy * a / (b * b)"),
    // Ties split the gradient in half between both inputs, as PyTorch does.
    MAXIMUM ("maximum",   true,  true,  true,  Math::max,              (dy, a, b) -> a > b ? dy : a == b ? dy / 2 : 0, (dy, a, b) -> b > a ? dy : a == b ? dy / 2 : 0, "fmax(a, b)", "a > b ? dy : a == b ? dy / 2 : 0", "b > a ? dy : a == b ? dy / 2 : 0"),
    MINIMUM ("minimum",   true,  true,  true,  Math::min,              (dy, a, b) -> a < b ? dy : a == b ? dy / 2 : 0, (dy, a, b) -> b < a ? dy : a == b ? dy / 2 : 0, "fmin(a, b)", "a < b ? dy : a == b ? dy / 2 : 0", "b < a ? dy : a == b ? dy / 2 : 0");

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
    private final boolean savesA;
    private final boolean savesB;
    private final Forward forward;
    private final Backward backwardA;
    private final Backward backwardB;
    private final String clForward;
    private final String clBackwardA;
    private final String clBackwardB;

    BinaryOp(String opName, boolean integerAllowed, boolean savesA, boolean savesB, Forward forward,
             Backward backwardA, Backward backwardB, String clForward, String clBackwardA, String clBackwardB) {
        this.opName = opName;
        this.integerAllowed = integerAllowed;
        this.savesA = savesA;
        this.savesB = savesB;
        this.forward = forward;
        this.backwardA = backwardA;
        this.backwardB = backwardB;
        this.clForward = clForward;
        this.clBackwardA = clBackwardA;
        this.clBackwardB = clBackwardB;
    }

    public String opName() { return opName; }
    public boolean integerAllowed() { return integerAllowed; }
    public boolean savesA() { return savesA; }
    public boolean savesB() { return savesB; }
    public Forward forward() { return forward; }
    /** The vector-Jacobian product for input 0 ({@code a}) or 1 ({@code b}). */
    public Backward backward(int input) { return input == 0 ? backwardA : backwardB; }
    public String clForward() { return clForward; }
    public String clBackward(int input) { return input == 0 ? clBackwardA : clBackwardB; }
}
