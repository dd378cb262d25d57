package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.tessera.tests.Assertions2.assertSpecialClose;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.conformance.Conformance;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.backend.BinaryOp;

/**
 * NaN, +-Inf and signed zeros through every elementwise op (forward and both gradients) and every reduction, on
 * every device, F32 and F64, dense and strided, against PyTorch (make_expected.py "special.*"): NaN exactly where
 * PyTorch has NaN, the same infinities, the same sign of a zero. And the ops whose F32 result is exactly rounded
 * give PyTorch's float32 bits on every device and CPU path (make_expected.py "exact32.*").
 *
 * <p>The suite runs twice (the tests module's two surefire executions): without the Vector API module, every CPU
 * op takes the portable path; with it, dense F32 operands take the SIMD kernels (37 elements: vector lanes and a
 * scalar tail) and strided ones the portable path.
 */
class SpecialValuesTest {

    static List<Object[]> unaryCases() {
        return cases(Conformance.UNARY);
    }

    static List<Object[]> binaryCases() {
        return cases(Conformance.BINARY);
    }

    private static List<Object[]> cases(List<?> cs) {
        List<Object[]> out = new ArrayList<>();
        for (Object[] dt : Devices.withFloatDtypes()) {
            for (Object c : cs) for (boolean strided : new boolean[] {false, true}) out.add(new Object[] {dt[0], dt[1], c, strided});
        }
        return out;
    }

    /** {@code values} as column 0 of a [n, 2] leaf: a view with stride 2 (the leaf is returned as element 1). */
    private static Tensor[] stridedColumn(Tensor values) {
        int n = values.shape(0);
        Tensor wide = Tensor.cat(List.of(values.reshape(n, 1), Tensor.zeros(values.device(), values.dtype(), n, 1)), 1)
                .detach().requiresGrad(true);
        return new Tensor[] {wide.narrow(1, 0, 1).squeeze(1), wide};
    }

    @ParameterizedTest(name = "{2} {1} strided={3} {0}")
    @MethodSource("unaryCases")
    void unaryOps(Device d, DType t, Conformance.UnaryCase c, boolean strided) {
        Tensor values = Expected.tensor("special.x", d, t);
        Tensor leaf, x;
        if (strided) {
            Tensor[] v = stridedColumn(values);
            x = v[0];
            leaf = v[1];
        } else {
            x = leaf = values.requiresGrad(true);
        }
        Tensor y = c.f().apply(x);
        y.backward(Expected.tensor("special.g", d, t));
        assertSpecialClose("special.unary." + c.key() + ".y", y);
        assertSpecialClose("special.unary." + c.key() + ".dx", strided ? leaf.grad().narrow(1, 0, 1).squeeze(1) : leaf.grad());
    }

    @ParameterizedTest(name = "{2} {1} strided={3} {0}")
    @MethodSource("binaryCases")
    void binaryOps(Device d, DType t, Conformance.BinaryCase c, boolean strided) {
        // a [64] holds each special value 8 times in a row, b [64] the 8 values 8 times over: every pair once
        Tensor a = Expected.tensor("special.a", d, t).requiresGrad(true);
        Tensor y, db;
        if (strided) {
            // b is the transpose of a seen as [8, 8]: a strided operand with the same elements
            Tensor bT = Expected.tensor("special.a", d, t).reshape(8, 8).detach().requiresGrad(true);
            y = c.f().apply(a.reshape(8, 8), bT.t()).reshape(64);
            y.backward(Expected.tensor("special.gb", d, t));
            db = bT.grad().t().reshape(64);
        } else {
            Tensor b = Expected.tensor("special.b", d, t).requiresGrad(true);
            y = c.f().apply(a, b);
            y.backward(Expected.tensor("special.gb", d, t));
            db = b.grad();
        }
        double[] want = Expected.values("special.binary." + c.key() + ".y");
        if (c.op() == BinaryOp.MAXIMUM || c.op() == BinaryOp.MINIMUM) {
            // PyTorch's maximum(+0, -0) depends on its code path (scalar loop: the first operand, SIMD: the second);
            // Tessera's is IEEE 754-2019's on every path and device: +0 is the larger, -0 the smaller
            double[] av = Expected.values("special.a"), bv = Expected.values("special.b");
            for (int i = 0; i < want.length; i++) {
                if (av[i] == 0 && bv[i] == 0 && Double.compare(av[i], bv[i]) != 0) want[i] = c.op() == BinaryOp.MAXIMUM ? 0.0 : -0.0;
            }
        }
        assertSpecialClose(want, y, "special.binary." + c.key() + ".y");
        assertSpecialClose("special.binary." + c.key() + ".da", a.grad());
        assertSpecialClose("special.binary." + c.key() + ".db", db);
    }

    static final Map<String, Function<Tensor, Tensor>> REDUCTIONS = Map.ofEntries(
            Map.entry("sum", Tensor::sum), Map.entry("mean", Tensor::mean), Map.entry("max", Tensor::max), Map.entry("min", Tensor::min),
            Map.entry("sum0", x -> x.sum(0, false)), Map.entry("sum1", x -> x.sum(1, false)), Map.entry("mean1", x -> x.mean(1, false)),
            Map.entry("max1", x -> x.max(1, false)), Map.entry("min1", x -> x.min(1, false)), Map.entry("max0", x -> x.max(0, false)),
            Map.entry("softmax1", x -> x.softmax(1)), Map.entry("logSoftmax1", x -> x.logSoftmax(1)), Map.entry("softmax0", x -> x.softmax(0)),
            Map.entry("norm", Tensor::norm));

    static List<Object[]> reductionCases() {
        List<Object[]> out = new ArrayList<>();
        for (Object[] dt : Devices.withFloatDtypes()) {
            for (String k : REDUCTIONS.keySet().stream().sorted().toList()) {
                for (boolean strided : new boolean[] {false, true}) out.add(new Object[] {dt[0], dt[1], k, strided});
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{2} {1} strided={3} {0}")
    @MethodSource("reductionCases")
    void reductions(Device d, DType t, String key, boolean strided) {
        // rows with NaN, +-Inf and both infinities together; strided: the same rows through a transposed leaf
        Tensor leaf = strided ? Expected.tensor("special.rows", d, t).t().contiguous().detach().requiresGrad(true)
                : Expected.tensor("special.rows", d, t).requiresGrad(true);
        Tensor x = strided ? leaf.t() : leaf;
        Tensor y = REDUCTIONS.get(key).apply(x);
        y.backward(Expected.tensor("special.reduce." + key + ".g", d, t));
        assertSpecialClose("special.reduce." + key + ".y", y);
        assertSpecialClose("special.reduce." + key + ".dx", strided ? leaf.grad().t() : leaf.grad());
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void argmaxAndArgminTreatNaNAsTheExtreme(Device d, DType t) {
        Tensor x = Expected.tensor("special.rows", d, t);
        for (String k : List.of("argmax1", "argmin1", "argmax0", "argmin0")) {
            int dim = k.endsWith("1") ? 1 : 0;
            Tensor r = k.startsWith("argmax") ? x.argmax(dim) : x.argmin(dim);
            assertArrayEquals(ints(Expected.values("special.reduce." + k)), r.toIntArray(), k);
            Tensor rt = k.startsWith("argmax") ? x.t().contiguous().t().argmax(dim) : x.t().contiguous().t().argmin(dim);
            assertArrayEquals(ints(Expected.values("special.reduce." + k)), rt.toIntArray(), k + " of a strided view");
        }
    }

    private static int[] ints(double[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }

    // ---- exactly rounded F32 ops: PyTorch's float32 bits on every device and path ----

    static final Map<String, Function<Tensor[], Tensor>> EXACT = Map.ofEntries(
            Map.entry("add", in -> in[0].add(in[1])), Map.entry("sub", in -> in[0].sub(in[1])),
            Map.entry("mul", in -> in[0].mul(in[1])), Map.entry("div", in -> in[0].div(in[1])),
            Map.entry("maximum", in -> in[0].maximum(in[2])), Map.entry("minimum", in -> in[0].minimum(in[2])),
            Map.entry("relu", in -> in[0].relu()), Map.entry("clamp", in -> in[0].clamp(-0.3, 0.45)),
            Map.entry("leakyRelu", in -> in[0].leakyRelu(0.01)), Map.entry("add_s", in -> in[0].add(1 / Math.sqrt(8))),
            Map.entry("sub_s", in -> in[0].sub(0.1)), Map.entry("mul_s", in -> in[0].mul(0.3)),
            Map.entry("div_s", in -> in[0].div(0.7)), Map.entry("neg", in -> in[0].neg()));

    static List<Object[]> exactCases() {
        List<Object[]> out = new ArrayList<>();
        for (Device d : Devices.all().toList()) {
            for (String k : EXACT.keySet().stream().sorted().toList()) {
                for (boolean strided : new boolean[] {false, true}) out.add(new Object[] {d, k, strided});
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{1} strided={2} {0}")
    @MethodSource("exactCases")
    void exactlyRoundedF32OpsGivePyTorchsBits(Device d, String key, boolean strided) {
        String[] names = {"exact32.a", "exact32.b", "exact32.bminus1"};
        Tensor[] in = new Tensor[names.length];
        for (int i = 0; i < names.length; i++) {
            Tensor v = Expected.tensor(names[i], d, DType.F32);
            in[i] = strided ? stridedColumn(v)[0] : v;
        }
        float[] got = EXACT.get(key).apply(in).toFloatArray();
        double[] want = Expected.values("exact32." + key);
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits((float) want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(key + " element " + i + " on " + d + (strided ? " (strided)" : "") + ": " + got[i] + " (bits "
                        + Integer.toHexString(Float.floatToRawIntBits(got[i])) + "), PyTorch float32 gives " + (float) want[i]
                        + " (bits " + Integer.toHexString(Float.floatToRawIntBits((float) want[i])) + ")");
            }
        }
    }
}
