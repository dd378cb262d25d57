package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.backend.Half;
import org.tessera.io.SafeTensors;

/**
 * F16 and BF16 storage on every device against PyTorch 1.13 (tests/src/test/python/half_interop.py wrote
 * half.safetensors): conversions bit for bit, ops computed in F32 and rounded once, safetensors bytes, gradients.
 */
class HalfPrecisionTest {
    @TempDir
    Path dir;

    static final List<DType> HALVES = List.of(DType.F16, DType.BF16);

    static List<Object[]> devicesAndHalves() {
        List<Object[]> out = new ArrayList<>();
        for (Device d : Devices.all().toList()) for (DType t : HALVES) out.add(new Object[] {d, t});
        return out;
    }

    static byte[] pytorchFile() throws IOException {
        try (InputStream in = HalfPrecisionTest.class.getResourceAsStream("/safetensors/half.safetensors")) {
            return in.readAllBytes();
        }
    }

    Map<String, Tensor> pytorch(Device d) throws IOException {
        return SafeTensors.load(Files.write(dir.resolve("half.safetensors"), pytorchFile()), d);
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("devicesAndHalves")
    void conversionsGivePyTorchsBits(Device d, DType t) throws IOException {
        Map<String, Tensor> py = pytorch(d);
        Tensor values = py.get("values");
        short[] want = py.get(t + ".values").toHalfBits();
        assertEquals(t, py.get(t + ".values").dtype());
        assertArrayEquals(want, values.to(t).toHalfBits(), "F32 -> " + t);
        assertArrayEquals(want, values.to(DType.F64).to(t).toHalfBits(), "F64 -> " + t + " (through float, as PyTorch)");
        float[] f = values.toFloatArray();
        for (int i = 0; i < f.length; i++) assertEquals(want[i], Half.bits(t, f[i]), "Half.bits of " + f[i]);
        // back to F32 and F64: exact
        float[] back = py.get(t + ".values").to(DType.F32).toFloatArray();
        double[] back64 = py.get(t + ".values").toDoubleArray();
        for (int i = 0; i < want.length; i++) {
            assertEquals(Half.value(t, want[i]), back[i], 0, "to F32 of bits " + Integer.toHexString(want[i] & 0xffff));
            assertEquals(back[i], back64[i], 0);
        }
        // a strided (transposed) view converts like its contiguous copy
        Tensor a = py.get("a");
        assertArrayEquals(a.t().contiguous().to(t).toHalfBits(), a.t().to(t).toHalfBits());
        assertArrayEquals(a.to(t).t().contiguous().toHalfBits(), a.t().to(t).toHalfBits());
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("devicesAndHalves")
    void opsComputeInF32AndRoundOnceAsPyTorch(Device d, DType t) throws IOException {
        Map<String, Tensor> py = pytorch(d);
        Tensor a = py.get("a").to(t), b = py.get("b").to(t), w = py.get("w").to(t);
        // one rounding of an exact-in-float result: bit for bit
        assertBits(py.get(t + ".add"), a.add(b));
        assertBits(py.get(t + ".mul"), a.mul(b));
        // transcendental, accumulated: within one unit in the last place of the 16-bit type
        assertUlps(py.get(t + ".tanh"), a.tanh(), 1);
        assertUlps(py.get(t + ".matmul"), a.matmul(w), 1);
        assertUlps(py.get(t + ".sum"), a.sum(0, false), 1);
        assertUlps(py.get(t + ".softmax"), a.softmax(1), 1);
        // in place, on a view, broadcast
        Tensor c = a.contiguousCopy();
        c.narrow(0, 2, 3).addi(b.narrow(0, 0, 3));
        Tensor expect = a.add(Tensor.cat(List.of(Tensor.zeros(d, t, 2, 16), b.narrow(0, 0, 3), Tensor.zeros(d, t, 3, 16)), 0));
        assertBits(expect, c);
        assertEquals(t, a.add(b.narrow(0, 0, 1)).dtype());
        assertBits(a.add(b.narrow(0, 0, 1).expand(8, 16).contiguous()), a.add(b.narrow(0, 0, 1)));
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("devicesAndHalves")
    void gradientsFlowInTheSixteenBitType(Device d, DType t) throws IOException {
        Map<String, Tensor> py = pytorch(d);
        // a 16-bit leaf gets a 16-bit gradient: d/dx sum(x * x) = 2x, exact in any binary format
        Tensor x = py.get("a").to(t).requiresGrad(true);
        x.mul(x).sum().backward();
        assertEquals(t, x.grad().dtype());
        assertBits(x.mul(2), x.grad());
        // an F32 master weight used through a 16-bit copy gets its gradient in F32 (to() is differentiable both ways)
        Tensor master = py.get("w").requiresGrad(true);
        Tensor xs = py.get("a").to(t);
        xs.matmul(master.to(t)).sum().backward();
        assertEquals(DType.F32, master.grad().dtype());
        float[] want = xs.to(DType.F32).sum(0, false).toFloatArray();   // d/dw sum(x @ w) = column sums of x, per output
        float[] got = master.grad().toFloatArray();
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 4; j++) assertEquals(want[i], got[i * 4 + j], Math.abs(want[i]) * 0.01 + 1e-3, "dw[" + i + "][" + j + "]");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void safetensorsRoundTripsPyTorchsBytes(Device d) throws IOException {
        Map<String, Tensor> py = pytorch(d);
        assertEquals(DType.BF16, py.get("BF16.matmul").dtype());
        Path ours = dir.resolve("tessera.safetensors");
        SafeTensors.save(py, SafeTensors.metadata(dir.resolve("half.safetensors")), ours);
        assertArrayEquals(pytorchFile(), Files.readAllBytes(ours), "Tessera writes back the bytes PyTorch's tensors have");
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("devicesAndHalves")
    void mixingDtypesAndBitAccessorsAreRefused(Device d, DType t) {
        Tensor h = Tensor.ones(d, t, 2, 3), f = Tensor.ones(d, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> h.add(f));
        assertTrue(e.getMessage().contains(t.toString()) && e.getMessage().contains("F32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, f::toHalfBits);
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofHalfBits(d, DType.F32, new short[6], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofHalfBits(d, t, new short[5], 2, 3));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, h.toFloatArray());
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("devicesAndHalves")
    void stagingReturnsItsF32Copies(Device d, DType t) {
        Tensor a = Tensor.ones(d, t, 64, 64), b = Tensor.ones(d, t, 64, 64);
        Tensor warm = a.matmul(b).add(a).tanh().sum();
        warm.close();
        d.synchronize();
        long live = d.memory().liveBytes();
        Tensor y = a.matmul(b);
        d.synchronize();
        assertEquals(live + 64 * 64 * t.byteSize(), d.memory().liveBytes(), "only the 16-bit result stays live");
        assertEquals(64f, y.toFloatArray()[0], 0);
        y.close();
    }

    private static void assertBits(Tensor want, Tensor got) {
        assertEquals(want.dtype(), got.dtype());
        assertArrayEquals(want.shape(), got.shape());
        assertArrayEquals(want.toHalfBits(), got.toHalfBits());
    }

    /** Within {@code ulps} units in the last place of the 16-bit type (8 significant bits in BF16, 11 in F16). */
    private static void assertUlps(Tensor want, Tensor got, int ulps) {
        assertEquals(want.dtype(), got.dtype());
        assertArrayEquals(want.shape(), got.shape());
        int bits = want.dtype() == DType.BF16 ? 8 : 11;
        float[] w = want.toFloatArray(), g = got.toFloatArray();
        for (int i = 0; i < w.length; i++) {
            float unit = Math.max(Math.ulp(w[i]) * (1 << (24 - bits)), want.dtype() == DType.F16 ? 0x1p-24f : Float.MIN_NORMAL);
            assertTrue(Math.abs(w[i] - g[i]) <= ulps * unit, "element " + i + ": " + g[i] + " vs PyTorch's " + w[i]);
        }
    }
}
