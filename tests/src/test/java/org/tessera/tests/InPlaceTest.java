package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.tests.Assertions2.assertClose;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;

/**
 * In-place ops interleaved with uses of the tensor they change (before the change, after it, through views made
 * before it, on views of views, on views whose base needs no grad), each program written as make_expected.py
 * writes it for PyTorch ("inplace.*"), values and gradients compared on every device in F32 and F64.
 */
class InPlaceTest {

    /** A program of the reference: from leaves x [6] and w [2], the tensor whose value is checked, and the loss. */
    record Program(String name, BiFunction<Tensor, Tensor, Tensor[]> run) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final Map<String, BiFunction<Tensor, Tensor, Tensor[]>> PROGRAMS = new LinkedHashMap<>();

    static {
        PROGRAMS.put("afterUse", (x, w) -> {
            Tensor y = x.mul(1);
            Tensor s = y.sum();
            y.muli(2);
            return new Tensor[] {y, s};
        });
        PROGRAMS.put("viewOfNonLeaf", (x, w) -> {
            Tensor y = x.mul(1);
            y.narrow(0, 0, 2).muli(3);
            return new Tensor[] {y, y.mul(y).sum()};
        });
        PROGRAMS.put("viewBeforeBaseChange", (x, w) -> {
            Tensor y = x.mul(1);
            Tensor v = y.narrow(0, 1, 3);
            y.muli(2);
            return new Tensor[] {v, v.mul(v).sum().add(y.sum())};
        });
        PROGRAMS.put("viewOfView", (x, w) -> {
            Tensor y = x.mul(1).view(2, 3);
            Tensor v = y.t().narrow(0, 1, 2);
            v.muli(w.unsqueeze(0));
            return new Tensor[] {y, y.exp().sum()};
        });
        PROGRAMS.put("interleaved", (x, w) -> {
            Tensor y = x.mul(1);
            Tensor u = y.sum();
            Tensor v = y.narrow(0, 1, 2);
            v.muli(w);
            Tensor z = y.mul(2);
            y.addi(3);
            Tensor t = v.exp();
            return new Tensor[] {t, u.add(z.sum()).add(t.sum())};
        });
        PROGRAMS.put("copyIntoView", (x, w) -> {
            Tensor y = x.mul(1);
            y.narrow(0, 2, 2).copyFrom(w);
            return new Tensor[] {y, y.mul(y).sum()};
        });
        PROGRAMS.put("chain", (x, w) -> {
            Tensor y = x.mul(1).view(3, 2);
            y.addi(w);
            y.muli(w);
            y.subi(0.5);
            y.divi(w);
            y.muli(2.5);
            return new Tensor[] {y, y.mul(y).sum().add(y.sum())};
        });
        PROGRAMS.put("transposedView", (x, w) -> {
            Tensor y = x.mul(1).view(2, 3);
            y.t().narrow(0, 0, 1).subi(w.view(1, 2));
            return new Tensor[] {y, y.tanh().sum()};
        });
        PROGRAMS.put("overlappingViews", (x, w) -> {
            Tensor y = x.mul(1);
            Tensor a = y.narrow(0, 0, 4), b = y.narrow(0, 2, 4);
            a.muli(2);
            b.muli(3);
            return new Tensor[] {a, a.mul(b).sum().add(y.mul(y).sum())};
        });
        PROGRAMS.put("baseWithoutGrad", (x, w) -> {
            Tensor y = Tensor.zeros(x.device(), x.dtype(), 6);
            y.narrow(0, 1, 2).addi(w);
            y.muli(x);
            return new Tensor[] {y, y.mul(y).sum()};
        });
    }

    static List<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (Object[] dt : Devices.withFloatDtypes()) for (String k : PROGRAMS.keySet()) out.add(new Object[] {dt[0], dt[1], k});
        return out;
    }

    @ParameterizedTest(name = "{2} {1} {0}")
    @MethodSource("cases")
    void programsGivePyTorchsValuesAndGradients(Device d, DType t, String name) {
        Tensor x = Expected.tensor("inplace.x", d, t).requiresGrad(true);
        Tensor w = Expected.tensor("inplace.w", d, t).requiresGrad(true);
        Tensor[] r = PROGRAMS.get(name).apply(x, w);
        r[1].backward();
        assertClose("inplace." + name + ".value", r[0]);
        assertClose("inplace." + name + ".loss", r[1]);
        assertClose("inplace." + name + ".dx", x.grad() == null ? Tensor.zerosLike(x) : x.grad());
        assertClose("inplace." + name + ".dw", w.grad() == null ? Tensor.zerosLike(w) : w.grad());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void theIssuesTwoPrograms(Device d) {
        // y = x.mul(1); w = y.sum(); y.muli(2); w.backward(): the sum was taken before the change
        Tensor x = Tensor.of(d, new double[] {1, 2, 3, 4}).requiresGrad(true);
        Tensor y = x.mul(1);
        Tensor s = y.sum();
        y.muli(2);
        s.backward();
        assertClose("inplace.issue1.dx", x.grad());
        // y = x.mul(1); y.narrow(0, 0, 2).muli(3); y.mul(y).sum().backward()
        x.zeroGrad();
        Tensor y2 = x.mul(1);
        y2.narrow(0, 0, 2).muli(3);
        y2.mul(y2).sum().backward();
        assertClose("inplace.issue2.dx", x.grad());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void viewsSeeTheirBasesNewHistory(Device d) {
        Tensor x = Tensor.of(d, new double[] {1, 2, 3}).requiresGrad(true);
        Tensor y = x.mul(1);
        Tensor v = y.narrow(0, 0, 2), vv = v.unsqueeze(1);
        assertEquals("narrow", v.gradFn().op());
        y.muli(x);                                        // the base changes: y = x^2
        assertEquals("narrow", v.gradFn().op(), "remade from the base's new history");
        vv.sum().backward();                              // d/dx of x0^2 + x1^2 through a view of a view
        assertClose(new double[] {2, 4, 0}, x.grad(), 0);
        Tensor base = Tensor.zeros(d, DType.F64, 3);      // needs no grad until a view of it takes a gradient
        Tensor part = base.narrow(0, 1, 1);
        assertFalse(base.requiresGrad());
        part.addi(x.narrow(0, 2, 1));
        assertTrue(base.requiresGrad() && part.requiresGrad());
        assertEquals("copySlices", base.gradFn().op());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void inPlaceChangesThatAutogradCannotTrackAreRefusedBeforeAnyWork(Device d) {
        Tensor leaf = Tensor.of(d, new double[] {1, 2, 3, 4}).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> leaf.narrow(0, 0, 2).muli(2));
        assertTrue(e.getMessage().contains("view of a leaf that requires grad"), e.getMessage());
        assertClose(new double[] {1, 2, 3, 4}, leaf, 0);
        try (var off = Autograd.noGrad()) {
            leaf.t().muli(2);                             // allowed without grad mode, as an optimiser step
        }
        assertClose(new double[] {2, 4, 6, 8}, leaf, 0);
        Tensor y = leaf.mul(1);
        Tensor quiet;
        try (var off = Autograd.noGrad()) {
            quiet = y.narrow(0, 0, 2);
        }
        IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> quiet.muli(leaf.narrow(0, 0, 2)));
        assertTrue(e2.getMessage().contains("made under noGrad"), e2.getMessage());
        assertClose(new double[] {2, 4, 6, 8}, y, 0);
        // a change through a view to a tensor a recorded op saved is caught at backward
        Tensor z = y.mul(y);
        y.narrow(0, 1, 2).addi(1);
        IllegalStateException e3 = assertThrows(IllegalStateException.class, () -> z.sum().backward());
        assertTrue(e3.getMessage().contains("modified by an in-place operation"), e3.getMessage());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void zeroGradLeavesAHandedOutGradientValid(Device d) {
        Tensor x = Tensor.of(d, new double[] {1, 2}).requiresGrad(true);
        x.mul(3).sum().backward();
        Tensor g = x.grad();
        assertSame(g, x.grad());
        x.zeroGrad();
        assertNull(x.grad());
        assertClose(new double[] {3, 3}, g, 0);           // PyTorch: x.grad = None leaves g as it was
        x.mul(3).sum().backward();
        Tensor g2 = x.grad();
        x.mul(1).sum().backward();                        // accumulation does not change a gradient handed out
        assertClose(new double[] {3, 3}, g2, 0);
        assertClose(new double[] {4, 4}, x.grad(), 0);
        assertClose(new double[] {3, 3}, g, 0);
        assertNotNull(x.grad());
    }
}
