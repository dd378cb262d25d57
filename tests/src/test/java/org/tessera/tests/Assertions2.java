package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.autograd.GradCheck;

/** Value comparisons with stated tolerances: |actual - expected| <= atol + rtol * |expected|. */
public final class Assertions2 {
    /** F64 on any backend: only rounding-order differences (the tolerances of {@code tessera selftest}). */
    public static final double F64_TOL = org.tessera.conformance.Conformance.F64_TOL;
    /** F32: a few ulps of float through a short chain of ops. */
    public static final double F32_TOL = org.tessera.conformance.Conformance.F32_TOL;

    /** What {@link #assertClose(String, Tensor)} and {@link #gradCheck} compared, per dtype: the suites report it. */
    private static final Map<DType, LongAdder> TENSORS = new EnumMap<>(DType.class), VALUES = new EnumMap<>(DType.class);
    private static final LongAdder GRAD_CHECKS = new LongAdder(), GRAD_CHECKED_ELEMENTS = new LongAdder();

    static {
        for (DType t : DType.values()) {
            TENSORS.put(t, new LongAdder());
            VALUES.put(t, new LongAdder());
        }
    }

    private Assertions2() {}

    /** Tensors and values compared against references per dtype, and gradient checks, since the JVM started. */
    public static String tally() {
        StringBuilder b = new StringBuilder();
        for (DType t : DType.values()) {
            long n = TENSORS.get(t).sum();
            if (n > 0) b.append(t).append(": ").append(n).append(" tensors (").append(VALUES.get(t).sum()).append(" values); ");
        }
        return b.append("gradient checks (F64): ").append(GRAD_CHECKS.sum()).append(" (").append(GRAD_CHECKED_ELEMENTS.sum())
                .append(" input elements)").toString();
    }

    public static long tensorsCompared(DType t) {
        return TENSORS.get(t).sum();
    }

    /** {@link GradCheck#check}, counted: a mismatch throws {@link GradCheck.Mismatch}, naming the input and element. */
    public static void gradCheck(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        GradCheck.check(f, inputs);
        GRAD_CHECKS.increment();
        for (Tensor in : inputs) if (in.requiresGrad()) GRAD_CHECKED_ELEMENTS.add(in.numel());
    }

    public static double tol(DType t) {
        return t == DType.F64 ? F64_TOL : F32_TOL;
    }

    public static void assertClose(double[] expected, Tensor actual, double tol) {
        assertClose(expected, actual.toDoubleArray(), tol, actual.toString());
    }

    public static void assertClose(String key, Tensor actual) {
        Expected.Entry e = Expected.get(key);
        assertArrayEquals(e.shape(), actual.shape(), key + ": shape");
        assertClose(e.values(), actual.toDoubleArray(), tol(actual.dtype()), key);
        count(actual);
    }

    private static void count(Tensor t) {
        TENSORS.get(t.dtype()).increment();
        VALUES.get(t.dtype()).add(t.numel());
    }

    /**
     * As {@link #assertClose(String, Tensor)}, and special values exactly: NaN where the reference has NaN (and only
     * there), the same infinity, and the same sign of a zero.
     */
    public static void assertSpecialClose(String key, Tensor actual) {
        Expected.Entry e = Expected.get(key);
        assertArrayEquals(e.shape(), actual.shape(), key + ": shape");
        assertSpecialClose(e.values(), actual, key);
    }

    public static void assertSpecialClose(double[] want, Tensor actual, String key) {
        double[] got = actual.toDoubleArray();
        for (int i = 0; i < want.length; i++) {
            boolean special = Double.isNaN(want[i]) || Double.isInfinite(want[i]) || want[i] == 0;
            boolean same = Double.isNaN(want[i]) ? Double.isNaN(got[i]) : Double.compare(want[i], got[i]) == 0;
            if (special && !same || !special && !Double.isFinite(got[i])) {
                fail(key + ": element " + i + " is " + got[i] + ", expected " + want[i] + " (" + actual.dtype() + " on " + actual.device() + ")");
            }
        }
        assertClose(want, got, tol(actual.dtype()), key);
        count(actual);
    }

    public static void assertClose(double[] expected, double[] actual, double tol, String what) {
        if (expected.length != actual.length) fail(what + ": expected " + expected.length + " values, got " + actual.length);
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            boolean same = actual[i] == expected[i] || Double.isNaN(expected[i]) && Double.isNaN(actual[i]);
            if (!same && !(diff <= tol + tol * Math.abs(expected[i]))) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (difference " + diff + ", tolerance " + tol + ")");
            }
        }
    }
}
