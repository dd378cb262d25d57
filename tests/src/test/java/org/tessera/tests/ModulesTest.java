package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.tests.Assertions2.assertClose;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.GradCheck;
import org.tessera.nn.Dropout;
import org.tessera.nn.ELU;
import org.tessera.nn.Flatten;
import org.tessera.nn.LeakyReLU;
import org.tessera.nn.Linear;
import org.tessera.nn.Maxout;
import org.tessera.nn.Module;
import org.tessera.nn.ReLU;
import org.tessera.nn.Regularization;
import org.tessera.nn.Sequential;
import org.tessera.nn.Sigmoid;
import org.tessera.nn.Tanh;

/** nn modules against PyTorch (make_expected.py "nn."), state-dict names, modes, devices, initialisation. */
class ModulesTest {

    static Sequential seq(Device d, DType t, boolean maxout) {
        Rng rng = new Rng(0);
        return new Sequential(new Linear(4, 3, true, rng, d, t), new ELU(0.7),
                maxout ? new Maxout(3, 2, 3, rng, d, t) : new Linear(3, 6, true, rng, d, t), new LeakyReLU(0.1));
    }

    static Map<String, Tensor> torchState(Device d, DType t, boolean maxout) {
        Map<String, Tensor> s = new LinkedHashMap<>();
        for (String k : new String[] {"0.weight", "0.bias", "2.weight", "2.bias"}) {
            s.put(maxout ? k.replace("2.", "2.linear.") : k, Expected.tensor("nn.state." + k, d, t));
        }
        return s;
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void sequentialMatchesPyTorchWithItsStateDict(Device d, DType t) {
        Sequential m = seq(d, t, false);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(m.stateDict().keySet()));
        m.loadStateDict(torchState(d, t, false));
        assertClose("nn.y", m.forward(Expected.tensor("nn.x", d, t)));
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void maxoutMatchesPyTorchForwardAndBackward(Device d, DType t) {
        Sequential full = seq(d, t, true);
        Module m = new Sequential(full.get(0), full.get(1), full.get(2));     // without the LeakyReLU
        assertEquals(List.of("0.weight", "0.bias", "2.linear.weight", "2.linear.bias"), List.copyOf(m.stateDict().keySet()));
        m.loadStateDict(torchState(d, t, true));
        Tensor y = m.forward(Expected.tensor("nn.x", d, t));
        assertClose("nn.maxout", y);
        y.mul(Expected.tensor("nn.maxout.g", d, t)).sum().backward();
        Map<String, Tensor> p = m.namedParameters();
        assertClose("nn.grad.0.weight", p.get("0.weight").grad());
        assertClose("nn.grad.0.bias", p.get("0.bias").grad());
        assertClose("nn.grad.2.weight", p.get("2.linear.weight").grad());
        assertClose("nn.grad.2.bias", p.get("2.linear.bias").grad());
        if (t == DType.F64) {
            Tensor x = Expected.tensor("nn.x", d, t).requiresGrad(true);
            GradCheck.check(in -> m.forward(in.get(0)), List.of(x));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void linearInitialisesLikePyTorchFromTheRng(Device d) {
        Linear a = new Linear(400, 50, true, new Rng(7), d, DType.F32), b = new Linear(400, 50, true, new Rng(7), Device.cpu(), DType.F32);
        // the same uniform numbers, scaled by the same float constants: the same bits (the CPU's portable path once
        // applied the double constant and rounded after, an ulp away from the float op on some weights)
        assertArrayEquals(b.weight().toFloatArray(), a.weight().toFloatArray(), "one seed, the same weights on every device");
        assertArrayEquals(b.bias().toFloatArray(), a.bias().toFloatArray());
        Linear a64 = new Linear(400, 50, true, new Rng(7), d, DType.F64), b64 = new Linear(400, 50, true, new Rng(7), Device.cpu(), DType.F64);
        assertArrayEquals(b64.weight().toDoubleArray(), a64.weight().toDoubleArray());
        double bound = 1 / Math.sqrt(400);
        float[] w = a.weight().toFloatArray();
        double min = 1, max = -1, mean = 0;
        for (float v : w) { min = Math.min(min, v); max = Math.max(max, v); mean += v / w.length; }
        assertTrue(min >= -bound && max <= bound, "U(-1/sqrt(in), 1/sqrt(in))");
        assertTrue(min < -0.95 * bound && max > 0.95 * bound, "fills the range");
        assertEquals(0, mean, 0.003);
        for (float v : a.bias().toFloatArray()) assertTrue(Math.abs(v) <= bound);
        assertArrayEquals(new int[] {50, 400}, a.weight().shape());
        assertTrue(a.weight().requiresGrad() && a.weight().isLeaf());
        assertEquals(null, new Linear(3, 2, false, new Rng(1), d, DType.F32).bias());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.forward(Tensor.zeros(d, 2, 300)));
        assertTrue(e.getMessage().contains("[2, 300]") && e.getMessage().contains("400"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void modesDevicesScopesAndActivations(Device d) {
        Rng dropRng = new Rng(3);
        Dropout drop = new Dropout(0.5, dropRng);
        Sequential m = new Sequential(new Flatten(), new Linear(6, 4, true, new Rng(1), Device.cpu(), DType.F32), new ReLU(), drop,
                new Tanh(), new Sigmoid());
        m.to(d);
        assertSame(d, m.parameters().get(0).device());
        Tensor x = Tensor.ones(d, 3, 2, 3);
        assertTrue(m.isTraining());
        m.eval();
        assertFalse(drop.isTraining(), "eval() reaches children");
        Tensor a = m.forward(x), b = m.forward(x);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray(), "eval: dropout is the identity");
        assertEquals(0, dropRng.counter(), "eval draws no random numbers");
        assertArrayEquals(new int[] {3, 4}, a.shape());
        m.train();
        m.forward(x);
        assertEquals(12, dropRng.counter(), "train: one number per element of the [3, 4] activation");
        // parameters made inside a scope belong to the module, not the scope
        Linear inScope;
        try (Scope s = Scope.open()) {
            inScope = new Linear(2, 2, true, new Rng(1), d, DType.F32);
        }
        assertFalse(inScope.weight().isClosed());
        inScope.weight().sum().backward();
        inScope.zeroGrad();
        assertEquals(null, inScope.weight().grad());
        Tensor old = inScope.weight();
        inScope.to(DType.F64);
        assertEquals(DType.F64, inScope.weight().dtype());
        assertTrue(old.isClosed(), "to(...) closes the replaced parameter");
        inScope.close();
        assertTrue(inScope.weight().isClosed());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void loadStateDictIsStrictAndAtomic(Device d) {
        Sequential m = seq(d, DType.F32, false);
        float[] before = m.parameters().get(0).toFloatArray();
        Map<String, Tensor> bad = torchState(d, DType.F32, false);
        bad.put("2.bias", Tensor.zeros(d, 7));                        // wrong shape, and the last entry
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(bad));
        assertTrue(e.getMessage().contains("'2.bias'") && e.getMessage().contains("[7]") && e.getMessage().contains("[6]"), e.getMessage());
        assertArrayEquals(before, m.parameters().get(0).toFloatArray(), "nothing was written");
        Map<String, Tensor> missing = torchState(d, DType.F32, false);
        missing.remove("0.bias");
        missing.put("0.scale", Tensor.zeros(d, 3));
        e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(missing));
        assertTrue(e.getMessage().contains("missing keys [0.bias]") && e.getMessage().contains("unexpected keys [0.scale]"), e.getMessage());
        // values from another device and dtype are converted
        Map<String, Tensor> f64cpu = torchState(Device.cpu(), DType.F64, false);
        m.loadStateDict(f64cpu);
        assertClose(f64cpu.get("0.weight").toDoubleArray(), m.parameters().get(0).toDoubleArray(), 1e-7, "converted");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void regularisationTerms(Device d) {
        Tensor w = Tensor.of(d, new float[] {1, -2}, 2).requiresGrad(true), v = Tensor.of(d, new float[] {-3}, 1).requiresGrad(true);
        assertEquals(6, Regularization.l1(List.of(w, v)).item(), 0);
        Tensor l2 = Regularization.l2(List.of(w, v));
        assertEquals(14, l2.item(), 0);
        l2.backward();
        assertArrayEquals(new float[] {2, -4}, w.grad().toFloatArray());
    }
}
