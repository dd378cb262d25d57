package org.tessera.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;
import org.tessera.autograd.GradCheck;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.UnaryOp;

/**
 * The conformance cases: every op of the tables, reductions, moments, softmax, matmul, gather and views, forward and
 * backward, against PyTorch's float64 values ({@link Reference}), in F32 and (where the device has it) F64, plus
 * finite-difference gradient checks in F64. One table, two users: the test suite (OpConformanceTest) and
 * {@code tessera selftest}, which runs it from the jar on a user's device.
 */
public final class Conformance {
    private Conformance() {}

    /** F64 on any backend: only rounding-order differences. */
    public static final double F64_TOL = 1e-10;
    /** F32: a few ulps of float through a short chain of ops. */
    public static final double F32_TOL = 2e-5;

    public static double tol(DType t) {
        return t == DType.F64 ? F64_TOL : F32_TOL;
    }

    /** One unary case: the reference key, its input key, the op row it exercises, and the call through the public API. */
    public record UnaryCase(String key, String input, UnaryOp op, Function<Tensor, Tensor> f) {
        @Override
        public String toString() {
            return key;
        }
    }

    public static final List<UnaryCase> UNARY = List.of(
            new UnaryCase("neg", "x", UnaryOp.NEG, Tensor::neg),
            new UnaryCase("exp", "x", UnaryOp.EXP, Tensor::exp),
            new UnaryCase("log", "xpos", UnaryOp.LOG, Tensor::log),
            new UnaryCase("sqrt", "xpos", UnaryOp.SQRT, Tensor::sqrt),
            new UnaryCase("abs", "x", UnaryOp.ABS, Tensor::abs),
            new UnaryCase("pow3", "x", UnaryOp.POW, t -> t.pow(3)),
            new UnaryCase("pow_half", "xpos", UnaryOp.POW, t -> t.pow(0.5)),
            new UnaryCase("powm2", "xpos", UnaryOp.POW, t -> t.pow(-2)),
            new UnaryCase("tanh", "x", UnaryOp.TANH, Tensor::tanh),
            new UnaryCase("sigmoid", "x", UnaryOp.SIGMOID, Tensor::sigmoid),
            new UnaryCase("relu", "x", UnaryOp.RELU, Tensor::relu),
            new UnaryCase("leakyRelu", "x", UnaryOp.LEAKY_RELU, t -> t.leakyRelu(0.1)),
            new UnaryCase("elu", "x", UnaryOp.ELU, t -> t.elu(0.7)),
            new UnaryCase("softplus", "x", UnaryOp.SOFTPLUS, Tensor::softplus),
            new UnaryCase("clamp", "x", UnaryOp.CLAMP, t -> t.clamp(-1, 1.5)),
            new UnaryCase("add_s", "x", UnaryOp.ADD_SCALAR, t -> t.add(1.5)),
            new UnaryCase("sub_s", "x", UnaryOp.ADD_SCALAR, t -> t.sub(0.25)),
            new UnaryCase("mul_s", "x", UnaryOp.MUL_SCALAR, t -> t.mul(-3)),
            new UnaryCase("div_s", "x", UnaryOp.DIV_SCALAR, t -> t.div(4)));

    public record BinaryCase(String key, BinaryOp op, BiFunction<Tensor, Tensor, Tensor> f) {
        @Override
        public String toString() {
            return key;
        }
    }

    public static final List<BinaryCase> BINARY = List.of(
            new BinaryCase("add", BinaryOp.ADD, Tensor::add),
            new BinaryCase("sub", BinaryOp.SUB, Tensor::sub),
            new BinaryCase("mul", BinaryOp.MUL, Tensor::mul),
            new BinaryCase("div", BinaryOp.DIV, Tensor::div),
            new BinaryCase("maximum", BinaryOp.MAXIMUM, Tensor::maximum),
            new BinaryCase("minimum", BinaryOp.MINIMUM, Tensor::minimum),
            new BinaryCase("bceWithLogits", BinaryOp.BCE_WITH_LOGITS, (a, b) -> a.binary(BinaryOp.BCE_WITH_LOGITS, b)),
            // all zeros on a and b (no ties there); KINKS exercises it where it matters, through max() and min()
            new BinaryCase("same", BinaryOp.SAME, (a, b) -> a.binary(BinaryOp.SAME, b)));

    /** A reduction case: reference key (reduce.KEY.y / .dx / .g) and the call. */
    public record ReductionCase(String key, Function<Tensor, Tensor> f) {}

    public static final List<ReductionCase> REDUCTIONS = List.of(
            new ReductionCase("sum", Tensor::sum),
            new ReductionCase("mean", Tensor::mean),
            new ReductionCase("max", Tensor::max),
            new ReductionCase("sum0", t -> t.sum(0, false)),
            new ReductionCase("sum1k", t -> t.sum(1, true)),
            new ReductionCase("mean0", t -> t.mean(0, false)),
            new ReductionCase("mean1", t -> t.mean(-1, false)),
            new ReductionCase("max0", t -> t.max(0, false)),
            new ReductionCase("max1k", t -> t.max(1, true)),
            new ReductionCase("min", Tensor::min),
            new ReductionCase("min0", t -> t.min(0, false)),
            new ReductionCase("min1k", t -> t.min(1, true)),
            new ReductionCase("norm", Tensor::norm));

    /** Variance and standard deviation cases (moments.KEY.*): unbiased by default, as PyTorch. */
    public static final List<ReductionCase> MOMENTS = List.of(
            new ReductionCase("var", Tensor::var),
            new ReductionCase("varBiased", x -> x.var(false)),
            new ReductionCase("var1", x -> x.var(1, false)),
            new ReductionCase("var0k", x -> x.var(0, true)),
            new ReductionCase("var1Biased", x -> x.var(1, false, false)),
            new ReductionCase("std", Tensor::std),
            new ReductionCase("stdBiased", x -> x.std(false)),
            new ReductionCase("std1", x -> x.std(1, false)),
            new ReductionCase("std0k", x -> x.std(0, true)),
            new ReductionCase("std1Biased", x -> x.std(1, false, false)));

    /**
     * Ops at ties and kinks, where the derivative does not exist and PyTorch 1.13 picks one (ties.INPUT.KEY.y / .g /
     * .dx, and .dy for the second operand ties.y): full max/min share the gradient evenly over ties (and over NaNs
     * when the result is NaN), max/min over a dim give it to the first extreme (the NaN), relu and leaky relu give 0
     * at 0 (slope at 0 for leaky relu), abs gives 0 at 0, clamp passes it at both bounds, maximum/minimum split a tie
     * in half. {@code onNaNs}: also run on ties.nan.
     */
    public record KinkCase(String key, BiFunction<Tensor, Tensor, Tensor> f, boolean onNaNs) {}

    public static final List<KinkCase> KINKS = List.of(
            new KinkCase("max", (x, y) -> x.max(), true),
            new KinkCase("min", (x, y) -> x.min(), true),
            new KinkCase("max0", (x, y) -> x.max(0, false), true),
            new KinkCase("max1", (x, y) -> x.max(1, false), true),
            new KinkCase("min0", (x, y) -> x.min(0, false), true),
            new KinkCase("min1k", (x, y) -> x.min(1, true), true),
            new KinkCase("relu", (x, y) -> x.relu(), false),
            new KinkCase("abs", (x, y) -> x.abs(), false),
            new KinkCase("clamp", (x, y) -> x.clamp(-1.0, 1.5), false),
            new KinkCase("leakyRelu", (x, y) -> x.leakyRelu(0.1), false),
            new KinkCase("maximum", Tensor::maximum, false),
            new KinkCase("minimum", Tensor::minimum, false));

    /** Runs {@link #KINKS} and the arg-extremes at ties on one device and dtype; returns the comparisons made. */
    public static int checkKinks(Device d, DType t) {
        int checks = 0;
        for (String input : List.of("x", "nan")) {
            for (KinkCase c : KINKS) {
                if (input.equals("nan") && !c.onNaNs()) continue;
                String key = "ties." + input + "." + c.key();
                Tensor x = Reference.tensor("ties." + input, d, t).requiresGrad(true);
                Tensor y = Reference.tensor("ties.y", d, t).requiresGrad(true);
                Tensor out = c.f().apply(x, y);
                out.backward(Reference.tensor(key + ".g", d, t));
                check(key + ".y", out);
                check(key + ".dx", x.grad());
                checks += 2;
                if (Reference.has(key + ".dy")) {
                    check(key + ".dy", y.grad());
                    checks++;
                }
            }
            Tensor x = Reference.tensor("ties." + input, d, t);
            for (int dim = 0; dim < 2; dim++) {
                check("ties." + input + ".argmax" + dim, Reference.values("ties." + input + ".argmax" + dim), x.argmax(dim).toDoubleArray(), 0);
                check("ties." + input + ".argmin" + dim, Reference.values("ties." + input + ".argmin" + dim), x.argmin(dim).toDoubleArray(), 0);
                checks += 2;
            }
        }
        return checks;
    }

    /** matmul.KEY.a / .b / .g / .y / .da / .db: matrix, batched, broadcast, vector cases. */
    public static final List<String> MATMUL = List.of("mm", "bmm", "broadcast", "broadcast2", "dot", "mv", "vm");

    /**
     * A second-order case (second.KEY.*): {@code f} of the reference tensors named by {@code inputs}, every one of which
     * requires grad. {@link #checkSecondOrder} runs make_expected.py's protocol on it: the gradients built with
     * createGraph against upstream {@code .w}, then the Hessian-vector product with directions {@code .v0, .v1, ...}.
     */
    public record SecondOrderCase(String key, List<String> inputs, Function<List<Tensor>, Tensor> f) {
        @Override
        public String toString() {
            return key;
        }
    }

    /**
     * Every differentiable op differentiated twice, against PyTorch: the unary and binary rows (SAME, which has no
     * gradient, apart), reductions and moments, softmax, matmul, the linear shape and indexing ops each followed by
     * a cube (so the second derivative runs back through their backward's own backward), the fused cross-entropy,
     * an in-place change through a view, and a small MLP with its input and every parameter at once.
     */
    public static final List<SecondOrderCase> SECOND_ORDER = secondOrderCases();

    private static List<SecondOrderCase> secondOrderCases() {
        List<SecondOrderCase> out = new ArrayList<>();
        for (UnaryCase c : UNARY) out.add(new SecondOrderCase("unary." + c.key, List.of(c.input), in -> c.f.apply(in.get(0))));
        for (BinaryCase c : BINARY) {
            if (c.op != BinaryOp.SAME) out.add(new SecondOrderCase("binary." + c.key, List.of("a", "b"), in -> c.f.apply(in.get(0), in.get(1))));
        }
        List<ReductionCase> reductions = List.of(
                new ReductionCase("sum", Tensor::sum), new ReductionCase("mean", Tensor::mean),
                new ReductionCase("max", Tensor::max), new ReductionCase("min", Tensor::min),
                new ReductionCase("sum0", t -> t.sum(0, false)), new ReductionCase("mean1", t -> t.mean(-1, false)),
                new ReductionCase("max0", t -> t.max(0, false)), new ReductionCase("min1k", t -> t.min(1, true)),
                new ReductionCase("norm", Tensor::norm), new ReductionCase("var", Tensor::var),
                new ReductionCase("var1", t -> t.var(1, false, false)), new ReductionCase("std", Tensor::std),
                new ReductionCase("std0k", t -> t.std(0, true)),
                new ReductionCase("cube_sum0", t -> t.sum(0, false).pow(3)), new ReductionCase("cube_mean1", t -> t.mean(-1, false).pow(3)),
                new ReductionCase("cube_max0", t -> t.max(0, false).pow(3)));
        for (ReductionCase r : reductions) out.add(new SecondOrderCase("reduce." + r.key, List.of("x"), in -> r.f.apply(in.get(0))));
        for (int dim = 0; dim < 2; dim++) {
            int d = dim;
            out.add(new SecondOrderCase("softmax" + d, List.of("x"), in -> in.get(0).softmax(d)));
            out.add(new SecondOrderCase("logSoftmax" + d, List.of("x"), in -> in.get(0).logSoftmax(d)));
        }
        for (String k : MATMUL) {
            out.add(new SecondOrderCase("matmul." + k, List.of("matmul." + k + ".a", "matmul." + k + ".b"), in -> in.get(0).matmul(in.get(1))));
        }
        List<SecondOrderCase> shapes = List.of(
                new SecondOrderCase("gather", null, in -> in.get(0).gather(1, Tensor.of(in.get(0).device(), new int[] {0, 3, 2, 2, 1, 0}, 3, 2)).pow(3)),
                new SecondOrderCase("indexSelect0", null, in -> in.get(0).indexSelect(0, Tensor.of(in.get(0).device(), new int[] {2, 0, 2, 1}, 4)).pow(3)),
                new SecondOrderCase("indexSelect1", null, in -> in.get(0).indexSelect(1, Tensor.of(in.get(0).device(), new int[] {3, 1}, 2)).pow(3)),
                new SecondOrderCase("narrow", null, in -> in.get(0).narrow(1, 1, 2).pow(3)),
                new SecondOrderCase("cat", null, in -> Tensor.cat(List.of(in.get(0), in.get(0).narrow(0, 1, 2)), 0).pow(3)),
                new SecondOrderCase("expand", null, in -> in.get(0).narrow(0, 0, 1).expand(3, 4).pow(3)),
                new SecondOrderCase("permute", null, in -> in.get(0).reshape(3, 2, 2).permute(2, 0, 1).pow(3)),
                new SecondOrderCase("transposeCopy", null, in -> in.get(0).t().contiguous().pow(3)),
                new SecondOrderCase("broadcastMul", null, in -> in.get(0).mul(in.get(0).narrow(0, 0, 1)).pow(2)));
        for (SecondOrderCase c : shapes) out.add(new SecondOrderCase("shape." + c.key, List.of("gather.src"), c.f));
        out.add(new SecondOrderCase("crossEntropy", List.of("ce.logits"), in -> in.get(0).crossEntropy(labels("ce.labels", in.get(0).device()))));
        out.add(new SecondOrderCase("inplaceView", List.of("x"), in -> {
            Tensor y = in.get(0).pow(2);
            y.narrow(1, 1, 2).muli(in.get(0).narrow(1, 1, 2));
            return y;
        }));
        out.add(new SecondOrderCase("mlp", List.of("mlp.x", "mlp.w1", "mlp.b1", "mlp.w2"), Conformance::mlpLoss));
        return List.copyOf(out);
    }

    /** The MLP of make_expected.py: mean cross-entropy of {@code tanh(x W1^T + b1) W2^T} against mlp.labels. */
    public static Tensor mlpLoss(List<Tensor> in) {
        Tensor hidden = in.get(0).matmul(in.get(1).t()).add(in.get(2)).tanh();
        return hidden.matmul(in.get(3).t()).crossEntropy(labels("mlp.labels", in.get(0).device())).mean();
    }

    /** Reference class labels as an I32 tensor. */
    public static Tensor labels(String key, Device d) {
        double[] v = Reference.values(key);
        int[] ints = new int[v.length];
        for (int i = 0; i < v.length; i++) ints[i] = (int) v[i];
        return Tensor.of(d, ints, ints.length);
    }

    /**
     * Runs one {@link #SECOND_ORDER} case on a device and dtype: the first-order gradients (made with createGraph) and
     * the Hessian-vector products against PyTorch's, to the dtype's tolerance ({@link #F64_TOL} in F64). Returns the
     * comparisons made.
     */
    public static int checkSecondOrder(SecondOrderCase c, Device d, DType t) {
        String key = "second." + c.key;
        List<Tensor> inputs = new ArrayList<>();
        for (String name : c.inputs) inputs.add(Reference.tensor(name, d, t).requiresGrad(true));
        Tensor y = c.f.apply(inputs);
        List<Tensor> grads = Autograd.grad(List.of(y), inputs, List.of(Reference.tensor(key + ".w", d, t)), true, true);
        Tensor s = null;
        for (int i = 0; i < inputs.size(); i++) {
            check(key + ".g" + i, grads.get(i));
            Tensor term = grads.get(i).mul(Reference.tensor(key + ".v" + i, d, t)).sum();
            s = s == null ? term : s.add(term);
        }
        // a gradient that depends on no input (a linear op's) has no history: its second derivative is zero
        if (s.requiresGrad()) s.backward();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor h = inputs.get(i).grad();
            if (h == null) h = Tensor.zeros(d, t, inputs.get(i).shape());
            check(key + ".h" + i, h);
        }
        return 2 * inputs.size();
    }

    /** The gradient penalty of make_expected.py ({@code loss + ||d loss / d x||^2} on the MLP) and its gradients, against PyTorch. */
    public static int checkGradientPenalty(Device d, DType t) {
        List<String> names = List.of("x", "w1", "b1", "w2");
        List<Tensor> in = new ArrayList<>();
        for (String n : names) in.add(Reference.tensor("mlp." + n, d, t).requiresGrad(true));
        Tensor loss = mlpLoss(in);
        Tensor gx = Autograd.grad(List.of(loss), List.of(in.get(0)), null, true, true).get(0);
        Tensor penalised = loss.add(gx.pow(2).sum());
        penalised.backward();
        check("penalty.loss", penalised);
        for (int i = 0; i < names.size(); i++) check("penalty.d" + names.get(i), in.get(i).grad());
        return 1 + names.size();
    }

    // ---- the runner of tessera selftest ----

    /** Why a case failed: the first value out of tolerance, or the exception it threw. */
    public static final class Mismatch extends RuntimeException {
        public Mismatch(String message) {
            super(message);
        }
    }

    /** The outcome of one case on one device and dtype: null failure when it passed. */
    public record Result(String name, DType dtype, int checks, String failure) {
        public boolean passed() {
            return failure == null;
        }
    }

    /** Checks {@code actual} against reference {@code key}: shape, then every value within the dtype's tolerance. */
    public static void check(String key, Tensor actual) {
        Reference.Entry e = Reference.get(key);
        if (!Arrays.equals(e.shape(), actual.shape())) {
            throw new Mismatch(key + ": shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(e.shape()));
        }
        check(key, e.values(), actual.toDoubleArray(), tol(actual.dtype()));
    }

    /** {@code |actual - expected| <= tol (1 + |expected|)} element by element; NaN matches only NaN. */
    public static void check(String what, double[] expected, double[] actual, double tol) {
        if (expected.length != actual.length) throw new Mismatch(what + ": " + actual.length + " values, expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            boolean same = actual[i] == expected[i] || Double.isNaN(expected[i]) && Double.isNaN(actual[i]);
            if (!same && !(diff <= tol + tol * Math.abs(expected[i]))) {
                throw new Mismatch(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (difference " + diff
                        + ", tolerance " + tol + ")");
            }
        }
    }

    private static void gradCheck(String what, Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        try {
            GradCheck.check(f, inputs);
        } catch (GradCheck.Mismatch e) {
            throw new Mismatch(what + ": " + e.getMessage());
        }
    }

    /** A named case that checks one device and dtype; returns how many comparisons it made. */
    private record Case(String name, BiFunction<Device, DType, Integer> run) {}

    private static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (UnaryCase c : UNARY) {
            out.add(new Case("unary " + c.key, (d, t) -> {
                Tensor x = Reference.tensor(c.input, d, t).requiresGrad(true);
                Tensor y = c.f.apply(x);
                y.backward(Reference.tensor("g", d, t));
                check("unary." + c.key + ".y", y);
                check("unary." + c.key + ".dx", x.grad());
                Tensor base = Reference.tensor(c.input, d, t).t().contiguous().detach().requiresGrad(true);
                Tensor yt = c.f.apply(base.t());
                yt.backward(Reference.tensor("g", d, t));
                check("unary." + c.key + ".y", yt);
                check("unary." + c.key + ".dx", base.grad().t());
                if (t == DType.F64) gradCheck("unary " + c.key, in -> c.f.apply(in.get(0)), List.of(Reference.tensor(c.input, d, t).requiresGrad(true)));
                return t == DType.F64 ? 5 : 4;
            }));
        }
        for (BinaryCase c : BINARY) {
            out.add(new Case("binary " + c.key, (d, t) -> {
                Tensor a = Reference.tensor("a", d, t).requiresGrad(true), b = Reference.tensor("b", d, t).requiresGrad(true);
                Tensor y = c.f.apply(a, b);
                y.backward(Reference.tensor("gb", d, t));
                check("binary." + c.key + ".y", y);
                check("binary." + c.key + ".da", a.grad());
                check("binary." + c.key + ".db", b.grad());
                if (t == DType.F64) gradCheck("binary " + c.key, in -> c.f.apply(in.get(0), in.get(1)), List.of(a.detach().requiresGrad(true), b.detach().requiresGrad(true)));
                return t == DType.F64 ? 4 : 3;
            }));
        }
        for (ReductionCase r : REDUCTIONS) out.add(reduction("reduce", r));
        for (ReductionCase r : MOMENTS) out.add(reduction("moments", r));
        out.add(new Case("ties and kinks", Conformance::checkKinks));
        out.add(new Case("second derivatives", (d, t) -> {
            int checks = checkGradientPenalty(d, t);
            for (SecondOrderCase c : SECOND_ORDER) {
                try {
                    checks += checkSecondOrder(c, d, t);
                } catch (Mismatch e) {
                    throw new Mismatch(c.key + ": " + e.getMessage());
                }
            }
            return checks;
        }));
        for (int dim = 0; dim < 2; dim++) {
            for (boolean log : new boolean[] {false, true}) {
                String key = (log ? "logSoftmax" : "softmax") + dim;
                int dd = dim;
                Function<Tensor, Tensor> f = log ? x -> x.logSoftmax(dd) : x -> x.softmax(dd);
                out.add(new Case(key, (d, t) -> {
                    Tensor x = Reference.tensor("x", d, t).requiresGrad(true);
                    Tensor y = f.apply(x);
                    y.backward(Reference.tensor("g", d, t));
                    check(key + ".y", y);
                    check(key + ".dx", x.grad());
                    if (t == DType.F64) gradCheck(key, in -> f.apply(in.get(0)), List.of(x.detach().requiresGrad(true)));
                    return t == DType.F64 ? 3 : 2;
                }));
            }
        }
        for (String k : MATMUL) {
            out.add(new Case("matmul " + k, (d, t) -> {
                Tensor a = Reference.tensor("matmul." + k + ".a", d, t).requiresGrad(true);
                Tensor b = Reference.tensor("matmul." + k + ".b", d, t).requiresGrad(true);
                Tensor y = a.matmul(b);
                y.backward(Reference.tensor("matmul." + k + ".g", d, t));
                check("matmul." + k + ".y", y);
                check("matmul." + k + ".da", a.grad());
                check("matmul." + k + ".db", b.grad());
                if (t == DType.F64) gradCheck("matmul " + k, in -> in.get(0).matmul(in.get(1)), List.of(a.detach().requiresGrad(true), b.detach().requiresGrad(true)));
                return t == DType.F64 ? 4 : 3;
            }));
        }
        out.add(new Case("matmul transposed operands", (d, t) -> {
            Tensor a = Reference.tensor("matmul.mm.a", d, t), b = Reference.tensor("matmul.mm.b", d, t);
            double[] expected = Reference.values("matmul.mm.y");
            Tensor aT = a.t().contiguous(), bT = b.t().contiguous();
            check("matmul aT^T b", expected, aT.t().matmul(b).toDoubleArray(), tol(t));
            check("matmul a bT^T", expected, a.matmul(bT.t()).toDoubleArray(), tol(t));
            check("matmul aT^T bT^T", expected, aT.t().matmul(bT.t()).toDoubleArray(), tol(t));
            return 3;
        }));
        out.add(new Case("gather", (d, t) -> {
            Tensor src = Reference.tensor("gather.src", d, t).requiresGrad(true);
            Tensor index = Tensor.of(d, new int[] {0, 3, 2, 2, 1, 0}, 3, 2);
            Tensor y = src.gather(1, index);
            y.backward(Tensor.of(d, new double[] {1, 2, 3, 4, 5, 6}, 3, 2).to(t));
            check("gather.y", y);
            check("gather.dx", src.grad());
            return 2;
        }));
        out.add(new Case("permute", (d, t) -> {
            Tensor x = Reference.tensor("permute.x", d, t).requiresGrad(true);
            Tensor y = x.permute(2, 0, 1);
            y.backward(Reference.tensor("permute.g", d, t));
            check("permute.y", y);
            check("permute.dx", x.grad());
            return 2;
        }));
        return out;
    }

    private static Case reduction(String family, ReductionCase r) {
        return new Case(family + " " + r.key, (d, t) -> {
            int checks = 0;
            for (boolean transposed : new boolean[] {false, true}) {
                Tensor base = transposed ? Reference.tensor("x", d, t).t().contiguous().detach().requiresGrad(true)
                        : Reference.tensor("x", d, t).requiresGrad(true);
                Tensor y = r.f.apply(transposed ? base.t() : base);
                y.backward(Reference.tensor(family + "." + r.key + ".g", d, t));
                check(family + "." + r.key + ".y", y);
                check(family + "." + r.key + ".dx", transposed ? base.grad().t() : base.grad());
                checks += 2;
            }
            return checks;
        });
    }

    /** The names of the cases, in the order {@link #run} runs them. */
    public static List<String> caseNames() {
        return cases().stream().map(Case::name).toList();
    }

    /**
     * Runs every case on {@code device} in each of {@code dtypes}, reporting each outcome as it finishes. A case that
     * throws (a kernel that fails to build, a device error) is a failure with the exception's message, not an abort.
     */
    public static List<Result> run(Device device, List<DType> dtypes, Consumer<Result> progress) {
        List<Result> results = new ArrayList<>();
        for (DType t : dtypes) {
            for (Case c : cases()) {
                Result r;
                try (Scope s = Scope.open()) {
                    int checks = c.run.apply(device, t);
                    device.synchronize();
                    r = new Result(c.name, t, checks, null);
                } catch (RuntimeException e) {
                    r = new Result(c.name, t, 0, e.getClass().getSimpleName() + ": " + e.getMessage());
                }
                results.add(r);
                progress.accept(r);
            }
        }
        return results;
    }
}
