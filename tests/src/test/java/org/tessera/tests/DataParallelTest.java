package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.nn.Linear;
import org.tessera.nn.Module;
import org.tessera.nn.ReLU;
import org.tessera.nn.Sequential;
import org.tessera.nn.Tanh;
import org.tessera.optim.Adam;
import org.tessera.optim.Optimizer;
import org.tessera.optim.SGD;
import org.tessera.parallel.DataParallel;
import org.tessera.testing.Requires;

/**
 * Data-parallel training computes what one device computes with the whole batch: after 20 Adam steps the replicas'
 * parameters equal a single device's (1e-5 in F32, 1e-12 in F64, where only the order of float sums differs), bit for
 * bit the same from run to run and whatever the gradient buckets. Bad input fails before any step and changes nothing.
 */
class DataParallelTest {
    static final BiFunction<Tensor, Tensor, Tensor> CROSS_ENTROPY = (out, y) -> out.crossEntropy(y).mean();
    static final int IN = 20, CLASSES = 5, STEPS = 20;

    /** A 20-32-16-5 MLP (tanh, ReLU) on {@code d}; {@code seed} sets its initial parameters. */
    static Sequential mlp(Device d, DType dtype, long seed) {
        Rng rng = new Rng(seed);
        return new Sequential().add(new Linear(IN, 32, true, rng, d, dtype)).add(new Tanh())
                .add(new Linear(32, 16, true, rng, d, dtype)).add(new ReLU())
                .add(new Linear(16, CLASSES, true, rng, d, dtype));
    }

    /** STEPS batches of {@code batch} rows: inputs and labels on {@code d}. */
    static List<Tensor[]> batches(Device d, DType dtype, int batch) {
        Rng rng = new Rng(7);
        List<Tensor[]> out = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            Tensor x = Tensor.randn(rng, batch, IN);
            // a learnable rule (the largest of the first five features), so the loss falls as training works
            float[] v = x.toFloatArray();
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                for (int c = 1; c < CLASSES; c++) if (v[i * IN + c] > v[i * IN + labels[i]]) labels[i] = c;
            }
            out.add(new Tensor[] {x.to(d).to(dtype), Tensor.of(d, labels, batch)});
        }
        return out;
    }

    /** The parameters after training on one device with the whole batch, and each step's loss. */
    static double[][] oneDevice(Device d, DType dtype, int batch, List<Double> losses) {
        Sequential m = mlp(d, dtype, 1);
        try (Optimizer opt = new Adam(m.parameters(), 1e-2)) {
            for (Tensor[] b : batches(d, dtype, batch)) {
                opt.zeroGrad();
                Tensor loss = CROSS_ENTROPY.apply(m.forward(b[0]), b[1]);
                loss.backward();
                opt.step();
                losses.add(loss.item());
            }
            return values(m);
        } finally {
            m.close();
        }
    }

    /** The same run on {@code devices}; replica r starts from other parameters (seed 100 + r) to show they are replaced. */
    static double[][] dataParallel(List<Device> devices, DType dtype, int batch, long bucketBytes, List<Double> losses) {
        try (DataParallel<Sequential> dp = new DataParallel<>(devices, (d, r) -> mlp(d, dtype, r == 0 ? 1 : 100 + r),
                ps -> new Adam(ps, 1e-2), bucketBytes)) {
            for (Tensor[] b : batches(devices.get(0), dtype, batch)) losses.add(dp.step(b[0], b[1], CROSS_ENTROPY).item());
            for (int r = 1; r < dp.replicas(); r++) {
                // replicas on one backend run the same optimiser kernel on the same sums: equal to the bit; another
                // backend rounds its optimiser step its own way
                boolean sameBackend = dp.devices().get(r).backend().equals(dp.devices().get(0).backend());
                double drift = maxAbsDiff(values(dp.model(0)), values(dp.model(r)));
                assertTrue(sameBackend ? drift == 0 : drift <= 1e-5, "replica " + r + " drifted from replica 0 by " + drift);
            }
            return values(dp.model());
        }
    }

    static double[][] values(Module m) {
        return m.parameters().stream().map(Tensor::toDoubleArray).toArray(double[][]::new);
    }

    static double maxAbsDiff(double[][] a, double[][] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[i].length; j++) worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
        return worst;
    }

    static void assertArrayEquals2(double[][] expected, double[][] actual, String message) {
        for (int i = 0; i < expected.length; i++) assertArrayEquals(expected[i], actual[i], message + " (parameter " + i + ")");
    }

    /** Checks both tolerances: parameters after 20 steps and every step's loss. */
    static void assertMatchesOneDevice(List<Device> replicas, Device single, DType dtype, int batch, double tolerance) {
        List<Double> expectedLoss = new ArrayList<>(), loss = new ArrayList<>();
        double[][] expected = oneDevice(single, dtype, batch, expectedLoss);
        double[][] got = dataParallel(replicas, dtype, batch, DataParallel.DEFAULT_BUCKET_BYTES, loss);
        double diff = maxAbsDiff(expected, got);
        assertTrue(diff <= tolerance, replicas + " vs " + single + " " + dtype + ": parameters differ by " + diff + " after " + STEPS + " steps");
        for (int s = 0; s < STEPS; s++) {
            assertEquals(expectedLoss.get(s), loss.get(s), tolerance * 10, "loss of step " + s);
        }
        // the training moved the parameters: a test of equal parameters that never changed would prove nothing
        assertTrue(expectedLoss.get(STEPS - 1) < expectedLoss.get(0) - 0.1, "the loss fell: " + expectedLoss);
    }

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {64, 67})   // 67: shards of 33 and 34 rows, weighted by their share of the batch
    void twoCpuReplicasMatchOneDeviceInF32(int batch) {
        assertMatchesOneDevice(List.of(Device.of("cpu:1"), Device.of("cpu:1")), Device.of("cpu:1"), DType.F32, batch, 1e-5);
    }

    @Test
    void twoCpuReplicasMatchOneDeviceInF64() {
        assertMatchesOneDevice(List.of(Device.of("cpu:1"), Device.of("cpu:1")), Device.of("cpu:1"), DType.F64, 64, 1e-12);
    }

    @Test
    void threeReplicasMatchOneDevice() {
        assertMatchesOneDevice(List.of(Device.of("cpu:1"), Device.of("cpu:1"), Device.of("cpu:1")), Device.of("cpu:1"), DType.F64, 50, 1e-12);
    }

    @Test
    void aCpuAndAnOpenClReplicaMatchOneDevice() {
        Device opencl = firstOpenCl();
        assertMatchesOneDevice(List.of(Device.of("cpu:1"), opencl), Device.of("cpu:1"), DType.F32, 64, 1e-5);
    }

    @Test
    void runsAreBitIdenticalWhateverTheBuckets() {
        List<Device> two = List.of(Device.of("cpu:1"), Device.of("cpu:1"));
        List<Double> l1 = new ArrayList<>(), l2 = new ArrayList<>(), l3 = new ArrayList<>();
        double[][] first = dataParallel(two, DType.F32, 64, DataParallel.DEFAULT_BUCKET_BYTES, l1);
        double[][] again = dataParallel(two, DType.F32, 64, DataParallel.DEFAULT_BUCKET_BYTES, l2);
        double[][] onePerParameter = dataParallel(two, DType.F32, 64, 1, l3);
        assertArrayEquals2(first, again, "a second run");
        assertArrayEquals2(first, onePerParameter, "one bucket per parameter");
        assertEquals(l1, l2);
        assertEquals(l1, l3);
    }

    /** A model with a parameter its forward never uses: no replica's backward reaches it. */
    static final class WithUnused extends Module {
        final Linear used;

        WithUnused(Device d) {
            used = registerModule("used", new Linear(IN, CLASSES, true, new Rng(3), d, DType.F32));
            registerParameter("unused", Tensor.ones(d, 4));
        }

        /** Looked up, not kept in a field: replicas on one device get tied (new) parameter tensors, as Module.to gives. */
        Tensor unused() {
            return parameter("unused");
        }

        @Override
        public Tensor forward(Tensor x) {
            return used.forward(x);
        }
    }

    @Test
    void aParameterNoBackwardReachesKeepsNoGradient() {
        Device cpu = Device.of("cpu:1");
        try (DataParallel<WithUnused> dp = new DataParallel<>(List.of(cpu, cpu), (d, r) -> new WithUnused(d), ps -> new SGD(ps, 0.1))) {
            Tensor[] b = batches(cpu, DType.F32, 8).get(0);
            dp.step(b[0], b[1], CROSS_ENTROPY);
            for (int r = 0; r < 2; r++) {
                assertNull(dp.model(r).unused().grad(), "replica " + r + ": the unused parameter has no gradient, as on one device");
                assertArrayEquals(new float[] {1, 1, 1, 1}, dp.model(r).unused().toFloatArray());
                assertTrue(dp.model(r).used.parameters().get(0).hasGrad());
            }
        }
    }

    @Test
    void theGradientsAfterAStepAreTheBatchMeansGradients() {
        Device cpu = Device.of("cpu:1");
        Tensor[] b = batches(cpu, DType.F64, 10).get(0);
        Sequential single = mlp(cpu, DType.F64, 1);
        CROSS_ENTROPY.apply(single.forward(b[0]), b[1]).backward();
        try (DataParallel<Sequential> dp = new DataParallel<>(List.of(cpu, cpu), (d, r) -> mlp(d, DType.F64, 1), ps -> new SGD(ps, 0))) {
            dp.step(b[0], b[1], CROSS_ENTROPY);
            for (int r = 0; r < 2; r++) {
                List<Tensor> ps = dp.model(r).parameters();
                for (int i = 0; i < ps.size(); i++) {
                    double[] want = single.parameters().get(i).grad().toDoubleArray(), got = ps.get(i).grad().toDoubleArray();
                    for (int j = 0; j < want.length; j++) assertEquals(want[j], got[j], 1e-14, "replica " + r + " parameter " + i + "[" + j + "]");
                }
            }
        }
        single.close();
    }

    @Test
    void replicasOnOneDeviceHoldOneCopyOfTheParameters() {
        Device cpu = Device.of("cpu:1");
        try (DataParallel<Sequential> dp = new DataParallel<>(List.of(cpu, cpu), (d, r) -> mlp(d, DType.F32, 1 + r), ps -> new Adam(ps, 1e-2))) {
            Tensor mine = dp.model(0).parameters().get(0), theirs = dp.model(1).parameters().get(0);
            try (var off = org.tessera.autograd.Autograd.noGrad()) {
                mine.addi(1);
            }
            assertArrayEquals(mine.toFloatArray(), theirs.toFloatArray(), "an update through replica 0 is seen by replica 1");
            assertTrue(theirs.isLeaf() && theirs.requiresGrad() && theirs != mine);
        }
    }

    @Test
    void tyingParametersChecksTheModulesMatchFirst() {
        Device cpu = Device.of("cpu:1");
        Sequential a = mlp(cpu, DType.F32, 1), b = new Sequential().add(new Linear(IN, 33, true, new Rng(1), cpu, DType.F32));
        double[][] before = values(b);
        var e = assertThrows(IllegalArgumentException.class, () -> b.tieParameters(a));
        assertTrue(e.getMessage().contains("tieParameters: this module has parameters [0.weight, 0.bias], the source has [0.weight, 0.bias, 2.weight"),
                e.getMessage());
        assertArrayEquals2(before, values(b), "b after a refused tie");
        a.close();
        b.close();
    }

    // ---- bad input: a clear error before any step, nothing changed ----

    @Test
    void aBatchSmallerThanTheReplicasIsRefusedBeforeAnyStep() {
        Device cpu = Device.of("cpu:1");
        try (DataParallel<Sequential> dp = new DataParallel<>(List.of(cpu, cpu, cpu), (d, r) -> mlp(d, DType.F32, 1), ps -> new SGD(ps, 0.1))) {
            double[][] before = values(dp.model());
            Tensor[] b = batches(cpu, DType.F32, 2).get(0);
            var e = assertThrows(IllegalArgumentException.class, () -> dp.step(b[0], b[1], CROSS_ENTROPY));
            assertTrue(e.getMessage().contains("a batch of 2 rows cannot be split over 3 replicas"), e.getMessage());
            var rows = assertThrows(IllegalArgumentException.class, () -> dp.step(b[0], Tensor.of(cpu, new int[] {0, 1, 2}, 3), CROSS_ENTROPY));
            assertTrue(rows.getMessage().contains("[2, 20]") && rows.getMessage().contains("[3]"), rows.getMessage());
            assertArrayEquals2(before, values(dp.model()), "parameters after refused steps");
        }
    }

    @Test
    void aReplicaThatFailsStopsEveryOptimiserStep() {
        Device cpu = Device.of("cpu:1");
        try (DataParallel<Sequential> dp = new DataParallel<>(List.of(cpu, cpu), (d, r) -> mlp(d, DType.F32, 1), ps -> new SGD(ps, 0.1))) {
            double[][] before = values(dp.model());
            Tensor[] b = batches(cpu, DType.F32, 8).get(0);
            // the second shard's targets are out of range: replica 1 fails in its forward, replica 0 would succeed
            Tensor bad = Tensor.of(cpu, new int[] {0, 1, 2, 3, 0, 1, 2, 9}, 8);
            var e = assertThrows(IllegalArgumentException.class, () -> dp.step(b[0], bad, CROSS_ENTROPY));
            assertTrue(e.getMessage().contains("9"), e.getMessage());
            for (int r = 0; r < 2; r++) assertArrayEquals2(before, values(dp.model(r)), "replica " + r + " after a failed step");
            // and the next good step works
            dp.step(b[0], b[1], CROSS_ENTROPY).item();
        }
    }

    @Test
    void replicasThatAreNotTheSameModelAreRefused() {
        Device cpu = Device.of("cpu:1");
        var e = assertThrows(IllegalArgumentException.class, () -> new DataParallel<>(List.of(cpu, cpu), (d, r) -> {
            Rng rng = new Rng(1);
            return new Sequential().add(new Linear(IN, r == 0 ? 8 : 9, true, rng, d, DType.F32));
        }, ps -> new SGD(ps, 0.1)));
        assertTrue(e.getMessage().contains("replica 1's parameter '0.weight' is [9, 20] F32, replica 0's is [8, 20] F32"), e.getMessage());
        var device = assertThrows(IllegalArgumentException.class,
                () -> new DataParallel<>(List.of(cpu, cpu), (d, r) -> mlp(r == 0 ? d : Device.of("cpu:2"), DType.F32, 1), ps -> new SGD(ps, 0.1)));
        assertTrue(device.getMessage().contains("replica 1's parameter '0.weight' is on cpu:2, the replica's device is cpu:1"), device.getMessage());
        var opt = assertThrows(IllegalArgumentException.class,
                () -> new DataParallel<>(List.of(cpu, cpu), (d, r) -> mlp(d, DType.F32, 1), ps -> new SGD(ps.subList(1, ps.size()), 0.1)));
        assertTrue(opt.getMessage().contains("the optimiser factory must use the parameter list it is given"), opt.getMessage());
    }

    @Test
    void anAcceleratorListedTwiceIsRefused() {
        Device opencl = firstOpenCl();
        var e = assertThrows(IllegalArgumentException.class,
                () -> new DataParallel<>(List.of(opencl, opencl), (d, r) -> mlp(d, DType.F32, 1), ps -> new SGD(ps, 0.1)));
        assertTrue(e.getMessage().contains("is listed twice"), e.getMessage());
    }

    @Test
    void closedIsClosed() {
        Device cpu = Device.of("cpu:1");
        DataParallel<Sequential> dp = new DataParallel<>(List.of(cpu), (d, r) -> mlp(d, DType.F32, 1), ps -> new SGD(ps, 0.1));
        Tensor p = dp.model().parameters().get(0);
        dp.close();
        assertTrue(p.isClosed(), "close() frees the replicas it made");
        Tensor[] b = batches(cpu, DType.F32, 4).get(0);
        assertThrows(IllegalStateException.class, () -> dp.step(b[0], b[1], CROSS_ENTROPY));
    }

    static Device firstOpenCl() {
        Device d = Device.available().stream().filter(x -> x.backend().equals("opencl")).findFirst().orElse(null);
        Requires.that(d != null, "an OpenCL device (apt-get install pocl-opencl-icd ocl-icd-opencl-dev)");
        return d;
    }
}
