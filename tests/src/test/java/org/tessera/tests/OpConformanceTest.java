package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.tessera.conformance.Conformance.BINARY;
import static org.tessera.conformance.Conformance.MATMUL;
import static org.tessera.conformance.Conformance.MOMENTS;
import static org.tessera.conformance.Conformance.REDUCTIONS;
import static org.tessera.conformance.Conformance.UNARY;
import static org.tessera.tests.Assertions2.assertClose;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.autograd.GradCheck;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.UnaryOp;
import org.tessera.conformance.Conformance.BinaryCase;
import org.tessera.conformance.Conformance.ReductionCase;
import org.tessera.conformance.Conformance.UnaryCase;
import org.slf4j.LoggerFactory;

/**
 * Every op, forward and backward, on every device, in F32 and F64, against PyTorch's float64 values
 * ({@link org.tessera.conformance.Reference}), on contiguous and non-contiguous inputs; plus {@link GradCheck} in F64.
 * The case tables live in {@link org.tessera.conformance.Conformance}, which {@code tessera selftest} runs from the
 * jar. Adding an op to the op tables means adding a row there: {@link #everyTableRowHasACase()} fails otherwise.
 */
class OpConformanceTest {

    /** Says how much was checked, F32 and F64 apart, so a dtype whose cases stopped checking shows as a zero. */
    @AfterAll
    static void reportWhatWasChecked() {
        LoggerFactory.getLogger(OpConformanceTest.class).info("conformance checked {}", Assertions2.tally());
    }

    static List<Object[]> unaryCases() {
        return cross(UNARY);
    }

    static List<Object[]> binaryCases() {
        return cross(BINARY);
    }

    /** Finite differences need F64, so the gradient checks run in F64 only (F32 is checked against PyTorch's values). */
    static List<Object[]> unaryGradCheckCases() {
        return cross(UNARY, List.of(DType.F64));
    }

    static List<Object[]> binaryGradCheckCases() {
        return cross(BINARY, List.of(DType.F64));
    }

    /** A run restricted to F32 (tessera.test.dtypes, e.g. the oclgrind check) skips the F64 gradient checks, saying so. */
    private static void assumeF64() {
        assumeTrue(Devices.FLOAT_DTYPES.contains(DType.F64), "F64 is not in tessera.test.dtypes " + Devices.FLOAT_DTYPES);
    }

    private static List<Object[]> cross(List<?> cases) {
        return cross(cases, Devices.FLOAT_DTYPES);
    }

    private static List<Object[]> cross(List<?> cases, List<DType> dtypes) {
        List<Object[]> out = new ArrayList<>();
        for (Device d : Devices.all().toList()) {
            for (DType t : dtypes) {
                for (Object c : cases) out.add(new Object[] {d, t, c});
            }
        }
        return out;
    }

    @Test
    void everyTableRowHasACase() {
        Set<UnaryOp> unary = UNARY.stream().map(UnaryCase::op).collect(Collectors.toSet());
        assertEquals(EnumSet.allOf(UnaryOp.class), EnumSet.copyOf(unary), "a UnaryOp row without a conformance case");
        Set<BinaryOp> binary = BINARY.stream().map(BinaryCase::op).collect(Collectors.toSet());
        assertEquals(EnumSet.allOf(BinaryOp.class), EnumSet.copyOf(binary), "a BinaryOp row without a conformance case");
    }

    // ---- unary ----

    @ParameterizedTest(name = "{2} {1} {0}")
    @MethodSource("unaryCases")
    void unaryForwardAndBackward(Device d, DType t, UnaryCase c) {
        Tensor x = Expected.tensor(c.input(), d, t).requiresGrad(true);
        Tensor y = c.f().apply(x);
        y.backward(Expected.tensor("g", d, t));
        assertClose("unary." + c.key() + ".y", y);
        assertClose("unary." + c.key() + ".dx", x.grad());
    }

    @ParameterizedTest(name = "{2} {1} {0}")
    @MethodSource("unaryCases")
    void unaryOnTransposedView(Device d, DType t, UnaryCase c) {
        // the input is the transpose of a [4, 3] leaf: same values, strides (1, 3)
        Tensor base = Expected.tensor(c.input(), d, t).t().contiguous().detach().requiresGrad(true);
        Tensor x = base.t();
        assertTrue(!x.isContiguous());
        Tensor y = c.f().apply(x);
        y.backward(Expected.tensor("g", d, t));
        assertClose("unary." + c.key() + ".y", y);
        assertClose("unary." + c.key() + ".dx", base.grad().t());
    }

    @ParameterizedTest(name = "{2} {0}")
    @MethodSource("unaryGradCheckCases")
    void unaryGradCheck(Device d, DType t, UnaryCase c) {
        assumeF64();
        Tensor x = Expected.tensor(c.input(), d, DType.F64).requiresGrad(true);
        Assertions2.gradCheck(in -> c.f().apply(in.get(0)), List.of(x));
        Assertions2.gradCheck(in -> c.f().apply(in.get(0).t()), List.of(x));
    }

    // ---- binary, broadcasting [3, 1, 4] with [2, 4] ----

    @ParameterizedTest(name = "{2} {1} {0}")
    @MethodSource("binaryCases")
    void binaryBroadcastForwardAndBackward(Device d, DType t, BinaryCase c) {
        Tensor a = Expected.tensor("a", d, t).requiresGrad(true);
        Tensor b = Expected.tensor("b", d, t).requiresGrad(true);
        Tensor y = c.f().apply(a, b);
        assertArrayEquals(new int[] {3, 2, 4}, y.shape());
        y.backward(Expected.tensor("gb", d, t));
        assertClose("binary." + c.key() + ".y", y);
        assertClose("binary." + c.key() + ".da", a.grad());
        assertClose("binary." + c.key() + ".db", b.grad());
    }

    @ParameterizedTest(name = "{2} {1} {0}")
    @MethodSource("binaryCases")
    void binaryOnTransposedOperand(Device d, DType t, BinaryCase c) {
        Tensor a = Expected.tensor("a", d, t).requiresGrad(true);
        Tensor bBase = Expected.tensor("b", d, t).t().contiguous().detach().requiresGrad(true);
        Tensor y = c.f().apply(a, bBase.t());
        y.backward(Expected.tensor("gb", d, t));
        assertClose("binary." + c.key() + ".y", y);
        assertClose("binary." + c.key() + ".db", bBase.grad().t());
    }

    @ParameterizedTest(name = "{2} {0}")
    @MethodSource("binaryGradCheckCases")
    void binaryGradCheck(Device d, DType t, BinaryCase c) {
        assumeF64();
        Tensor a = Expected.tensor("a", d, t).requiresGrad(true);
        Tensor b = Expected.tensor("b", d, t).requiresGrad(true);
        Assertions2.gradCheck(in -> c.f().apply(in.get(0), in.get(1)), List.of(a, b));
        // both operands broadcast, one of them through an expanded view
        Assertions2.gradCheck(in -> c.f().apply(in.get(1).expand(3, 2, 4), in.get(0)), List.of(a, b));
    }

    // ---- ties and kinks (the table and its check live in Conformance, shared with tessera selftest) ----

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void tiesAndKinksAsPyTorch(Device d, DType t) {
        // 12 cases on ties.x (2 checks each, 2 more for maximum/minimum's second operand), 6 on ties.nan, 8 arg-extremes
        assertEquals(46, org.tessera.conformance.Conformance.checkKinks(d, t));
    }

    // ---- reductions ----

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void reductions(Device d, DType t) {
        for (ReductionCase r : REDUCTIONS) {
            String key = r.key();
            Function<Tensor, Tensor> f = r.f();
            for (boolean transposed : new boolean[] {false, true}) {
                Tensor base = transposed ? Expected.tensor("x", d, t).t().contiguous().detach().requiresGrad(true)
                        : Expected.tensor("x", d, t).requiresGrad(true);
                Tensor x = transposed ? base.t() : base;
                Tensor y = f.apply(x);
                y.backward(Expected.tensor("reduce." + key + ".g", d, t));
                assertClose("reduce." + key + ".y", y);
                assertClose("reduce." + key + ".dx", transposed ? base.grad().t() : base.grad());
                if (t == DType.F64) Assertions2.gradCheck(in -> f.apply(in.get(0)), List.of(x.detach().requiresGrad(true)));
            }
        }
        Tensor x = Expected.tensor("x", d, t);
        assertArrayEquals(toInts(Expected.values("reduce.argmax0")), x.argmax(0).toIntArray());
        assertArrayEquals(toInts(Expected.values("reduce.argmax1")), x.argmax(1).toIntArray());
        assertArrayEquals(toInts(Expected.values("reduce.argmax1")), x.t().argmax(0).toIntArray());
        assertArrayEquals(toInts(Expected.values("reduce.argmin0")), x.argmin(0).toIntArray());
        assertArrayEquals(toInts(Expected.values("reduce.argmin1")), x.argmin(1).toIntArray());
    }

    private static int[] toInts(double[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }

    // ---- permute, var and std (unbiased by default, as PyTorch) ----

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void permute(Device d, DType t) {
        Tensor x = Expected.tensor("permute.x", d, t).requiresGrad(true);      // [2, 3, 4]
        Tensor y = x.permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, y.shape());
        y.backward(Expected.tensor("permute.g", d, t));
        assertClose("permute.y", y);
        assertClose("permute.dx", x.grad());
        assertClose("permute.y", x.detach().permute(-1, 0, -2));
        assertThrows(IllegalArgumentException.class, () -> x.permute(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> x.permute(0, 1));
        if (t == DType.F64) Assertions2.gradCheck(in -> in.get(0).permute(1, 2, 0).exp(), List.of(x.detach().requiresGrad(true)));
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void varianceAndStandardDeviation(Device d, DType t) {
        for (ReductionCase m : MOMENTS) {
            String key = m.key();
            Function<Tensor, Tensor> f = m.f();
            for (boolean transposed : new boolean[] {false, true}) {
                Tensor base = transposed ? Expected.tensor("x", d, t).t().contiguous().detach().requiresGrad(true)
                        : Expected.tensor("x", d, t).requiresGrad(true);
                Tensor y = f.apply(transposed ? base.t() : base);
                y.backward(Expected.tensor("moments." + key + ".g", d, t));
                assertClose("moments." + key + ".y", y);
                assertClose("moments." + key + ".dx", transposed ? base.grad().t() : base.grad());
            }
            if (t == DType.F64) Assertions2.gradCheck(in -> f.apply(in.get(0)), List.of(Expected.tensor("x", d, t).requiresGrad(true)));
        }
        // one element: the unbiased estimate divides by zero, NaN as in PyTorch; the biased one is 0
        assertTrue(Double.isNaN(Tensor.of(d, new double[] {3}).to(t).var().item()));
        assertEquals(0, Tensor.of(d, new double[] {3}).to(t).var(false).item());
    }

    // ---- softmax ----

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void softmaxAndLogSoftmax(Device d, DType t) {
        for (int dim = 0; dim < 2; dim++) {
            for (boolean log : new boolean[] {false, true}) {
                String key = (log ? "logSoftmax" : "softmax") + dim;
                int dd = dim;
                Function<Tensor, Tensor> f = log ? x -> x.logSoftmax(dd) : x -> x.softmax(dd);
                Tensor x = Expected.tensor("x", d, t).requiresGrad(true);
                Tensor y = f.apply(x);
                y.backward(Expected.tensor("g", d, t));
                assertClose(key + ".y", y);
                assertClose(key + ".dx", x.grad());
                if (t == DType.F64) {
                    Assertions2.gradCheck(in -> f.apply(in.get(0)), List.of(x.detach().requiresGrad(true)));
                    Assertions2.gradCheck(in -> f.apply(in.get(0).t()), List.of(x.detach().requiresGrad(true)));
                }
            }
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void softmaxIsStableForHugeLogits(Device d, DType t) {
        Tensor x = Tensor.of(d, new double[] {1000, 1001, 1002, -1000, 0, 1000}, 2, 3).to(t);
        double[] p = x.softmax(1).toDoubleArray();
        double e1 = Math.exp(-1), e2 = Math.exp(-2);
        double z = 1 + e1 + e2;
        assertClose(new double[] {e2 / z, e1 / z, 1 / z, 0, 0, 1}, p, 1e-6, "softmax of large logits");
        double[] lp = x.logSoftmax(1).toDoubleArray();
        assertEquals(-2 - Math.log(z), lp[0], 1e-4);
        assertEquals(-2000, lp[3], 1e-3);
    }

    // ---- matmul ----

    static List<Object[]> matmulCases() {
        List<Object[]> out = new ArrayList<>();
        for (Object[] dt : Devices.withFloatDtypes()) {
            for (String k : MATMUL) out.add(new Object[] {dt[0], dt[1], k});
        }
        return out;
    }

    @ParameterizedTest(name = "{2} {1} {0}")
    @MethodSource("matmulCases")
    void matmul(Device d, DType t, String key) {
        Tensor a = Expected.tensor("matmul." + key + ".a", d, t).requiresGrad(true);
        Tensor b = Expected.tensor("matmul." + key + ".b", d, t).requiresGrad(true);
        Tensor y = a.matmul(b);
        y.backward(Expected.tensor("matmul." + key + ".g", d, t));
        assertClose("matmul." + key + ".y", y);
        assertClose("matmul." + key + ".da", a.grad());
        assertClose("matmul." + key + ".db", b.grad());
        if (t == DType.F64) {
            Assertions2.gradCheck(in -> in.get(0).matmul(in.get(1)), List.of(a.detach().requiresGrad(true), b.detach().requiresGrad(true)));
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void matmulOfTransposedAndNarrowedOperands(Device d, DType t) {
        Tensor a = Expected.tensor("matmul.mm.a", d, t);        // [5, 7]
        Tensor b = Expected.tensor("matmul.mm.b", d, t);        // [7, 3]
        double[] expected = Expected.values("matmul.mm.y");
        Tensor aT = a.t().contiguous().detach();                  // [7, 5]
        Tensor bT = b.t().contiguous().detach();                  // [3, 7]
        assertClose(expected, aT.t().matmul(b), Assertions2.tol(t));
        assertClose(expected, a.matmul(bT.t()), Assertions2.tol(t));
        assertClose(expected, aT.t().matmul(bT.t()), Assertions2.tol(t));
        // a narrowed view: rows of a wider matrix (leading dimension larger than the row)
        Tensor wide = Tensor.cat(List.of(a, Tensor.zeros(d, t, 5, 2)), 1);   // [5, 9]
        assertClose(expected, wide.narrow(1, 0, 7).matmul(b), Assertions2.tol(t));
        if (t == DType.F64) {
            Tensor x = aT.requiresGrad(true), y = bT.requiresGrad(true);
            Assertions2.gradCheck(in -> in.get(0).t().matmul(in.get(1).t()), List.of(x, y));
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void largeMatmulAgainstNaiveProduct(Device d, DType t) {
        // sizes that are not multiples of any tile, crossing the K and M block sizes
        int m = 157, k = 301, n = 67;
        Tensor a = Tensor.rand(d, t, new org.tessera.Rng(5), m, k).sub(0.5);
        Tensor b = Tensor.rand(d, t, new org.tessera.Rng(6), k, n).sub(0.5);
        double[] av = a.toDoubleArray(), bv = b.toDoubleArray();
        double[] ref = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += av[i * k + p] * bv[p * n + j];
            ref[i * n + j] = s;
        }
        double tol = t == DType.F64 ? 1e-12 : 1e-4;
        assertClose(ref, a.matmul(b), tol);
        assertClose(ref, a.t().contiguous().t().matmul(b.t().contiguous().t()), tol);
    }

    // ---- gather, cat and views ----

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void gather(Device d, DType t) {
        Tensor src = Expected.tensor("gather.src", d, t).requiresGrad(true);
        Tensor index = Tensor.of(d, new int[] {0, 3, 2, 2, 1, 0}, 3, 2);
        Tensor y = src.gather(1, index);
        y.backward(Tensor.of(d, new double[] {1, 2, 3, 4, 5, 6}, 3, 2).to(t));
        assertClose("gather.y", y);
        assertClose("gather.dx", src.grad());
        // through a transposed input: gather along dim 0 of the [4, 3] transpose
        Tensor yt = src.detach().t().gather(0, index.t());
        assertClose("gather.y", yt.t());
        if (t == DType.F64) {
            Assertions2.gradCheck(in -> in.get(0).gather(1, index), List.of(src.detach().requiresGrad(true)));
            Assertions2.gradCheck(in -> in.get(0).t().gather(0, index.t()), List.of(src.detach().requiresGrad(true)));
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void indexSelect(Device d, DType t) {
        int[][] indices = {{2, 0, 2, 1}, {3, 1}};
        for (int dim = 0; dim < 2; dim++) {
            for (boolean strided : new boolean[] {false, true}) {
                Tensor leaf = strided ? Expected.tensor("gather.src", d, t).t().contiguous().detach().requiresGrad(true)
                        : Expected.tensor("gather.src", d, t).requiresGrad(true);
                Tensor src = strided ? leaf.t() : leaf;
                Tensor index = Tensor.of(d, indices[dim], indices[dim].length);
                Tensor y = src.indexSelect(dim, index);
                y.backward(Expected.tensor("index_select" + dim + ".g", d, t));
                assertClose("index_select" + dim + ".y", y);
                assertClose("index_select" + dim + ".dx", strided ? leaf.grad().t() : leaf.grad());
                int dd = dim;
                if (t == DType.F64) Assertions2.gradCheck(in -> in.get(0).indexSelect(dd, index), List.of(src.detach().requiresGrad(true)));
            }
        }
        Tensor x = Expected.tensor("gather.src", d, t);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.indexSelect(0, Tensor.of(d, new int[] {0, 3}, 2)));
        assertTrue(e.getMessage().contains("index 3") && e.getMessage().contains("size 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> x.indexSelect(0, Tensor.of(d, new int[] {0, 1}, 1, 2)));
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void shapeOpsAreDifferentiable(Device d) {
        assumeF64();
        DType t = DType.F64;                                               // finite differences need F64
        Tensor x = Expected.tensor("x", d, t).requiresGrad(true);          // [3, 4]
        Tensor y = Expected.tensor("xpos", d, t).requiresGrad(true);       // [3, 4]
        List<Function<List<Tensor>, Tensor>> fs = List.of(
                in -> in.get(0).reshape(2, 6).mul(in.get(1).reshape(2, 6)),
                in -> in.get(0).view(4, 3).t().mul(in.get(1)),
                in -> in.get(0).transpose(0, 1).reshape(-1).mul(in.get(1).flatten()),
                in -> in.get(0).narrow(1, 1, 2).mul(in.get(1).narrow(0, 0, 3).narrow(1, 2, 2)),
                in -> in.get(0).unsqueeze(0).expand(2, 3, 4).mul(in.get(1)),
                in -> in.get(0).sum(0, true).expand(3, 4).mul(in.get(1)),
                in -> in.get(0).unsqueeze(2).squeeze(2).mul(in.get(1)),
                in -> Tensor.cat(List.of(in.get(0), in.get(1).mul(2), in.get(0).narrow(0, 1, 1)), 0).tanh(),
                in -> Tensor.cat(List.of(in.get(0).t(), in.get(1).t()), 1).sigmoid(),
                in -> in.get(0).t().contiguous().mul(in.get(1).t()));
        for (Function<List<Tensor>, Tensor> f : fs) Assertions2.gradCheck(f, List.of(x, y));
    }
}
