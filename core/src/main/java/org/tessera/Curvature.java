package org.tessera;

import org.tessera.backend.BinaryOp;
import org.tessera.backend.UnaryOp;

/**
 * The second derivatives of the elementwise rows, which a backward with createGraph needs to differentiate a
 * gradient again.
 *
 * <p>A row's gradient is {@code dx = dy · D(s)}: linear in the upstream gradient {@code dy}, with {@code D} the
 * derivative written once in the row (Java and OpenCL C) and {@code s} the tensor it saved (x or y). The gradient
 * of {@code dx} contracted with {@code gg} is therefore {@code D(s) · gg} towards dy (the row's own kernel again),
 * and {@code gg · dy · D'(s)} towards s: only {@code D'} is new, and it is here, one line per row, written with
 * recorded tensor ops so that it is differentiable in turn (third and higher orders). Where {@code D} is
 * piecewise constant (relu, abs, clamp, the scalar rows, maximum) {@code D'} is zero almost everywhere and the
 * answer is null: no gradient flows there, as in PyTorch.
 *
 * <p>The switches have no default, so a new row does not compile until its second derivative is written.
 */
final class Curvature {
    private Curvature() {}

    /** {@code gg · dy · D'(s)} for a unary row with parameter {@code p}, or null where D' is zero. */
    static Tensor unary(UnaryOp op, double p, Tensor gg, Tensor dy, Tensor s) {
        return switch (op) {
            case NEG, ADD_SCALAR, MUL_SCALAR, DIV_SCALAR, ABS, RELU, LEAKY_RELU, CLAMP -> null;
            case EXP -> gg.mul(dy);                                        // D = y
            case LOG -> gg.mul(dy).div(s.mul(s)).neg();                    // D = 1/x
            case SQRT -> gg.mul(dy).div(s.mul(s).mul(-2));                 // D = 1/(2y)
            case POW -> p == 0 || p == 1 ? null                            // D = p x^(p-1)
                    : gg.mul(dy).mul(s.pow(p - 2)).mul(p * (p - 1));
            case TANH -> gg.mul(dy).mul(s).mul(-2);                        // D = 1 - y^2
            case SIGMOID -> gg.mul(dy).mul(s.mul(-2).add(1));              // D = y (1 - y)
            // D = 1 above 0, p e^x at or below: D' = p e^x at or below 0, which is D minus the step relu's row gives
            case ELU -> {
                Tensor h = gg.mul(dy);
                yield Tensor.unaryGrad(UnaryOp.ELU, p, 0, h, s).sub(Tensor.unaryGrad(UnaryOp.RELU, 0, 0, h, s));
            }
            case SOFTPLUS -> sigmoidSlope(gg.mul(dy), s);                  // D = sigmoid(x)
        };
    }

    /**
     * {@code gg · D'} of the gradient of operand {@code gradOf} (0 = a, 1 = b) of a binary row, taken towards operand
     * {@code wrt}, in the broadcast shape of dy (the caller sums it to the operand's shape), or null where it is zero.
     */
    static Tensor binary(BinaryOp op, int gradOf, int wrt, Tensor gg, Tensor dy, Tensor a, Tensor b) {
        return switch (op) {
            case ADD, SUB, MAXIMUM, MINIMUM, SAME -> null;
            // da = dy b, db = dy a
            case MUL -> gradOf != wrt ? gg.mul(dy) : null;
            // da = dy / b, db = -dy a / b^2
            case DIV -> gradOf == 0 ? (wrt == 1 ? gg.mul(dy).div(b.mul(b)).neg() : null)
                    : wrt == 0 ? gg.mul(dy).div(b.mul(b)).neg() : gg.mul(dy).mul(a).mul(2).div(b.mul(b).mul(b));
            // da = dy (sigmoid(a) - b), db = -dy a
            case BCE_WITH_LOGITS -> gradOf == 0 ? (wrt == 0 ? sigmoidSlope(gg.mul(dy), a) : gg.mul(dy).neg())
                    : wrt == 0 ? gg.mul(dy).neg() : null;
        };
    }

    /** {@code h · sigmoid'(x)}, through sigmoid's own row (its gradient from the saved output) so it stays differentiable. */
    private static Tensor sigmoidSlope(Tensor h, Tensor x) {
        Tensor y = x.sigmoid();
        if (!java.util.Arrays.equals(y.shape(), h.shape())) y = y.expand(h.shape());   // a binary operand, broadcast
        return Tensor.unaryGrad(UnaryOp.SIGMOID, 0, 0, h, y);
    }
}
