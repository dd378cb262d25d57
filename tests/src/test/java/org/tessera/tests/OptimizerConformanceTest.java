package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.tests.Assertions2.assertClose;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;
import org.tessera.backend.OptimizerStep;
import org.tessera.optim.Adam;
import org.tessera.optim.AdamW;
import org.tessera.optim.Optimizer;
import org.tessera.optim.RMSProp;
import org.tessera.optim.SGD;

/**
 * Every optimiser against PyTorch 1.13 (tests/src/test/python/make_expected.py): 20 steps on a fixed 4-3-2 tanh
 * model and batch, on every device, in F64 (to 1e-9) and F32. Each step is one fused kernel per parameter.
 */
class OptimizerConformanceTest {

    static final Map<String, Function<List<Tensor>, Optimizer>> OPTIMISERS = new LinkedHashMap<>();
    static {
        OPTIMISERS.put("sgd", p -> new SGD(p, 0.1));
        OPTIMISERS.put("sgd_momentum", p -> new SGD(p, 0.05).momentum(0.9).dampening(0.1).weightDecay(0.01));
        OPTIMISERS.put("sgd_nesterov", p -> new SGD(p, 0.05).momentum(0.9).nesterov(true).weightDecay(0.001));
        OPTIMISERS.put("adam", p -> new Adam(p, 0.01));
        OPTIMISERS.put("adam_l2", p -> new Adam(p, 0.01).betas(0.8, 0.99).eps(1e-6).weightDecay(0.1));
        OPTIMISERS.put("adamw", p -> new AdamW(p, 0.01).weightDecay(0.05));
        OPTIMISERS.put("rmsprop", p -> new RMSProp(p, 0.01));
        OPTIMISERS.put("rmsprop_full", p -> new RMSProp(p, 0.01).alpha(0.9).eps(1e-6).weightDecay(0.01).momentum(0.5).centered(true));
    }

    static List<Object[]> cases() {
        List<Object[]> out = new java.util.ArrayList<>();
        for (Object[] dt : Devices.withFloatDtypes()) for (String name : OPTIMISERS.keySet()) out.add(new Object[] {dt[0], dt[1], name});
        return out;
    }

    static final String[] NAMES = {"w1", "b1", "w2", "b2"};

    /** The fixed model's loss: mse(tanh(x w1^T + b1) w2^T + b2, y). */
    static Tensor loss(List<Tensor> p, Tensor x, Tensor y) {
        Tensor h = x.matmul(p.get(0).t()).add(p.get(1)).tanh();
        return h.matmul(p.get(2).t()).add(p.get(3)).sub(y).pow(2).mean();
    }

    @ParameterizedTest(name = "{2} {1} {0}")
    @MethodSource("cases")
    void twentyStepsMatchPyTorch(Device d, DType t, String name) {
        List<Tensor> params = new java.util.ArrayList<>();
        for (String n : NAMES) params.add(Expected.tensor("opt.init." + n, d, t).requiresGrad(true));
        Tensor x = Expected.tensor("opt.x", d, t), y = Expected.tensor("opt.y", d, t);
        double tol = t == DType.F64 ? 1e-9 : 1e-4;   // F32: 20 chained steps of float rounding
        double[] losses = new double[20];
        try (Optimizer opt = OPTIMISERS.get(name).apply(params)) {
            for (int step = 0; step < 20; step++) {
                try (Scope s = Scope.open()) {       // state created in a step's scope must survive it
                    opt.zeroGrad();
                    Tensor l = loss(params, x, y);
                    l.backward();
                    opt.step();
                    losses[step] = l.item();
                }
            }
            assertEquals(20, opt.steps(0));
        }
        assertClose(Expected.values("opt." + name + ".losses"), losses, tol, name + " losses");
        for (int i = 0; i < NAMES.length; i++) {
            assertClose(Expected.values("opt." + name + "." + NAMES[i]), params.get(i).toDoubleArray(), tol, name + " " + NAMES[i]);
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void everyBackendTakesTheSameStepAsTheJavaFormula(Device d, DType t) {
        // the OpenCL kernels against OptimizerStep.apply (the CPU backend's formula), on a size past one work-group
        int n = 1000;
        Tensor p0 = Tensor.rand(Device.cpu(), DType.F64, new org.tessera.Rng(1), n).sub(0.5);
        Tensor g0 = Tensor.rand(Device.cpu(), DType.F64, new org.tessera.Rng(2), n).sub(0.5);
        Tensor s0 = Tensor.rand(Device.cpu(), DType.F64, new org.tessera.Rng(3), n).mul(0.1);
        OptimizerStep[] steps = {
            new OptimizerStep.Sgd(0.1, 0.9, 0.2, 0.01, false, false),
            new OptimizerStep.Sgd(0.1, 0.9, 0, 0.01, true, true),
            new OptimizerStep.Adam(0.01, 0.9, 0.999, 1e-8, 0.1, false, 3),
            new OptimizerStep.Adam(0.01, 0.9, 0.999, 1e-8, 0.1, true, 7),
            new OptimizerStep.RmsProp(0.01, 0.9, 1e-6, 0.01, 0.5, true),
            new OptimizerStep.RmsProp(0.01, 0.99, 1e-8, 0, 0, false)};
        for (OptimizerStep step : steps) {
            double[] p = p0.toDoubleArray(), g = g0.toDoubleArray();
            double[][] state = new double[step.stateCount()][];
            Tensor[] slots = new Tensor[step.stateCount()];
            for (int k = 0; k < state.length; k++) {
                if (!step.usesState(k)) continue;
                state[k] = s0.toDoubleArray();
                slots[k] = s0.to(t).to(d).contiguousCopy();   // two slots must not alias
            }
            step.apply(n, p, g, state);
            Tensor param = p0.to(t).to(d).contiguousCopy();
            param.optimizerStep(step, g0.to(t).to(d), slots);
            double tol = Assertions2.tol(t);
            assertClose(p, param.toDoubleArray(), tol, step + " parameter");
            for (int k = 0; k < state.length; k++) if (state[k] != null) assertClose(state[k], slots[k].toDoubleArray(), tol, step + " state " + k);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void nonContiguousParameterAndStepCountsAndVersion(Device d) {
        Tensor w = Tensor.of(d, new double[] {1, 2, 3, 4, 5, 6}, 2, 3).t().requiresGrad(true);   // a transposed leaf
        assertTrue(!w.isContiguous());
        SGD opt = new SGD(List.of(w), 0.5);
        int version = w.version();
        w.mul(Tensor.of(d, new double[] {1, 2, 3, 4, 5, 6}, 3, 2)).sum().backward();
        opt.step();
        assertArrayEquals(new double[] {0.5, 3, 0.5, 3, 0.5, 3}, w.toDoubleArray());   // w - 0.5 * multiplier
        assertTrue(w.version() > version, "an optimiser step bumps the parameter's version");
        Tensor unused = Tensor.zeros(d, DType.F64, 2).requiresGrad(true);
        SGD two = new SGD(List.of(w, unused), 0.1);
        two.step();                                         // no gradient: skipped, as in PyTorch
        assertEquals(0, two.steps(1));
        assertNull(unused.grad());
        opt.zeroGrad();
        assertNull(w.grad());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void badConfigurationsThrowBeforeAnyChange(Device d) {
        Tensor w = Tensor.of(d, new float[] {1, 2, 3}, 3).requiresGrad(true);
        w.mul(2).sum().backward();
        float[] before = w.toFloatArray();
        SGD nesterovWithoutMomentum = new SGD(List.of(w), 0.1).nesterov(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, nesterovWithoutMomentum::step);
        assertTrue(e.getMessage().contains("Nesterov"), e.getMessage());
        assertArrayEquals(before, w.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(w), -1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(w), 0.1).betas(1.0, 0.9));
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(w.mul(2)), 0.1), "a non-leaf");
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(Tensor.zeros(d, 3)), 0.1), "no requiresGrad");
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(), 0.1));
        e = assertThrows(IllegalArgumentException.class,
                () -> w.optimizerStep(new OptimizerStep.Sgd(0.1, 0, 0, 0, false, true), Tensor.zeros(d, 4), new Tensor[1]));
        assertTrue(e.getMessage().contains("[4]") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> w.optimizerStep(new OptimizerStep.Sgd(0.1, 0.9, 0, 0, false, true), w.grad(), new Tensor[1]));
        assertTrue(e.getMessage().contains("state slot 0"), e.getMessage());
        assertArrayEquals(before, w.toFloatArray());
        try (var off = Autograd.noGrad()) {
            assertThrows(IllegalArgumentException.class,
                    () -> w.optimizerStep(new OptimizerStep.Sgd(0.1, 0, 0, 0, false, true), w.grad().to(DType.F64), new Tensor[1]));
        }
        assertArrayEquals(before, w.toFloatArray());
    }

    static final Map<String, Function<Optimizer, org.tessera.optim.LRSchedule>> SCHEDULES = new LinkedHashMap<>();
    static {
        SCHEDULES.put("step", o -> new org.tessera.optim.StepLR(o, 6, 0.5));
        SCHEDULES.put("cosine", o -> new org.tessera.optim.CosineLR(o, 20));
        SCHEDULES.put("linear", o -> new org.tessera.optim.LinearLR(o, 20));
        SCHEDULES.put("inverse_sqrt", o -> new org.tessera.optim.InverseSqrtLR(o, 5));
    }

    static List<Object[]> scheduleCases() {
        List<Object[]> out = new java.util.ArrayList<>();
        for (Device d : Devices.all().toList()) for (String name : SCHEDULES.keySet()) out.add(new Object[] {d, name});
        return out;
    }

    /** Each schedule drives SGD with momentum for 20 steps: the rates and the final parameters match PyTorch's (F64). */
    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("scheduleCases")
    void schedulesMatchPyTorch(Device d, String name) {
        List<Tensor> params = new java.util.ArrayList<>();
        for (String n : NAMES) params.add(Expected.tensor("opt.init." + n, d, DType.F64).requiresGrad(true));
        Tensor x = Expected.tensor("opt.x", d, DType.F64), y = Expected.tensor("opt.y", d, DType.F64);
        double[] lrs = new double[20];
        try (Optimizer opt = new SGD(params, 0.1).momentum(0.9)) {
            org.tessera.optim.LRSchedule schedule = SCHEDULES.get(name).apply(opt);
            for (int step = 0; step < 20; step++) {
                lrs[step] = opt.lr();
                opt.zeroGrad();
                loss(params, x, y).backward();
                opt.step();
                schedule.step();
            }
            assertEquals(20, schedule.steps());
        }
        assertClose(Expected.values("sched." + name + ".lrs"), lrs, 1e-12, name + " rates");
        for (int i = 0; i < NAMES.length; i++) {
            assertClose(Expected.values("sched." + name + "." + NAMES[i]), params.get(i).toDoubleArray(), 1e-9, name + " " + NAMES[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void scheduleEdgesAndBadInput(Device d) {
        Tensor w = Tensor.zeros(d, 2).requiresGrad(true);
        SGD opt = new SGD(List.of(w), 1.0);
        org.tessera.optim.CosineLR cos = new org.tessera.optim.CosineLR(opt, 4);
        for (int i = 0; i < 6; i++) cos.step();
        assertEquals(0, opt.lr(), 0, "cosine holds at zero after its last step");
        cos.setSteps(2);
        assertEquals(0.5, opt.lr(), 1e-15, "restoring a step count restores its rate");
        assertThrows(IllegalArgumentException.class, () -> new org.tessera.optim.StepLR(opt, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new org.tessera.optim.LinearLR(opt, -1));
        assertThrows(IllegalArgumentException.class, () -> new org.tessera.optim.InverseSqrtLR(opt, 0));
        assertThrows(IllegalArgumentException.class, () -> opt.setLr(Double.NaN));
    }
}
