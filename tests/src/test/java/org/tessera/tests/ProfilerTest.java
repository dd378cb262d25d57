package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.profile.Profiler;

/** The profiler's CPU side: each primitive timed under its name while on, nothing recorded while off. */
class ProfilerTest {
    @AfterEach
    void off() {
        Profiler.disable();
        Profiler.reset();
    }

    @Test
    void recordsEachPrimitiveWhileOn() {
        Device d = Device.cpu();
        Tensor a = Tensor.randn(d, new Rng(1), 64, 64).requiresGrad(true);
        Profiler.reset();
        a.matmul(a).tanh().sum();                    // off: nothing recorded
        assertTrue(Profiler.snapshot().isEmpty(), Profiler.report(10));
        Profiler.enable();
        a.matmul(a).tanh().sum().backward();
        List<Profiler.Entry> e = Profiler.snapshot();
        assertTrue(e.stream().anyMatch(x -> x.device().equals("cpu") && x.name().equals("matmul") && x.calls() >= 3), Profiler.report(20));
        assertTrue(e.stream().anyMatch(x -> x.name().equals("unary tanh") && x.nanos() > 0), Profiler.report(20));
        assertTrue(e.stream().anyMatch(x -> x.name().equals("unary backward tanh")), Profiler.report(20));
        assertTrue(Profiler.report(5).contains("matmul"));
    }
}
