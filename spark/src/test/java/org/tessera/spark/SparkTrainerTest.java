package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.data.Batch;
import org.tessera.data.DataLoader;
import org.tessera.nn.Dropout;
import org.tessera.nn.Linear;
import org.tessera.nn.ReLU;
import org.tessera.nn.Sequential;
import org.tessera.optim.Adam;
import org.tessera.optim.CosineLR;
import org.tessera.optim.LRSchedule;
import org.tessera.optim.Optimizer;
import org.tessera.parallel.DataParallel;

/**
 * SparkTrainer on local[2,4] (two task slots; a failed task may be retried, which local[2] forbids): the barrier
 * stage computes what in-process training computes, resumes from its checkpoint after a killed worker, and refuses
 * bad input before any step.
 */
class SparkTrainerTest {
    private static final int N = 200, FEATURES = 8, CLASSES = 3, BATCH = 32;   // 7 batches, the last of 8 rows
    private static final long SEED = 5;
    private static JavaSparkContext spark;
    private static float[] xs;
    private static int[] ys;

    @BeforeAll
    static void start() {
        spark = new JavaSparkContext(new SparkConf().setMaster("local[2,4]").setAppName("SparkTrainerTest").set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1"));
        Rng r = new Rng(42);
        xs = new float[N * FEATURES];
        ys = new int[N];
        for (int i = 0; i < N; i++) {
            double a = 0, b = 0;
            for (int f = 0; f < FEATURES; f++) {
                float v = (float) (r.nextDouble() * 2 - 1);
                xs[i * FEATURES + f] = v;
                a += (f % 2 == 0 ? v : -v);
                b += (f < 4 ? v : -v);
            }
            ys[i] = a > 0.3 ? 0 : b > 0 ? 1 : 2;
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** 8-16-3 with dropout; the initialisation comes from a fixed seed, the dropout from the worker's stream. */
    static Sequential model(Device d, Rng random) {
        Rng init = new Rng(SEED);
        return new Sequential().add(new Linear(FEATURES, 16, true, init, d, org.tessera.DType.F32)).add(new ReLU())
                .add(new Dropout(0.2, random)).add(new Linear(16, CLASSES, true, init, d, org.tessera.DType.F32));
    }

    static Optimizer adam(List<Tensor> ps) {
        return new Adam(ps, 1e-2);
    }

    static SparkTrainer.SharedDataset shared() {
        float[] x = xs;
        int[] y = ys;
        return d -> new Batch(Tensor.of(d, x, N, FEATURES), Tensor.of(d, y, N));
    }

    private static SparkTrainer trainer() {
        return new SparkTrainer(spark).workers(2).device("cpu:1").batch(BATCH).seed(SEED);
    }

    /** What tessera train --devices cpu:1,cpu:1 computes: DataParallel over the same shuffled batches. */
    private static Map<String, float[]> dataParallel(int epochs, boolean cosine, List<Double> losses) {
        Device cpu1 = Device.of("cpu:1");
        try (DataParallel<Sequential> dp = new DataParallel<>(List.of(cpu1, cpu1), (d, r) -> model(d, DataParallel.replicaStream(SEED, r)),
                SparkTrainerTest::adam); Tensor x = Tensor.of(cpu1, xs, N, FEATURES); Tensor y = Tensor.of(cpu1, ys, N)) {
            DataLoader loader = new DataLoader(x, y, BATCH, true, new Rng(SEED + 1));
            LRSchedule schedule = cosine ? new CosineLR(dp.optimizer(), (long) epochs * loader.batches()) : null;
            for (int e = 0; e < epochs; e++) {
                double sum = 0;
                for (Batch b : loader) {
                    try (Scope s = Scope.open()) {
                        sum += dp.step(b.x(), b.y(), SparkTrainer.CROSS_ENTROPY).item() * b.size();
                        if (schedule != null) schedule.step();
                    }
                }
                losses.add(sum / N);
            }
            return arrays(dp.model().stateDict());
        }
    }

    private static Map<String, float[]> arrays(Map<String, Tensor> state) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    private static double maxDiff(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        double m = 0;
        for (String k : a.keySet()) {
            float[] u = a.get(k), v = b.get(k);
            assertEquals(u.length, v.length, k);
            for (int i = 0; i < u.length; i++) m = Math.max(m, Math.abs(u[i] - v[i]));
        }
        return m;
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "shared memory {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void sharedDataMatchesInProcessDataParallel(boolean sharedMemory) {
        List<Double> losses = new ArrayList<>();
        Map<String, float[]> expected = dataParallel(3, true, losses);
        SparkTrainer.Result r = trainer().sharedMemory(sharedMemory).schedule(CosineLR::new).fit(shared(), SparkTrainerTest::model, SparkTrainerTest::adam, 3);
        assertEquals(3, r.epochs().size());
        assertTrue(maxDiff(expected, arrays(r.stateDict())) <= 1e-5, "parameters differ by " + maxDiff(expected, arrays(r.stateDict())));
        for (int e = 0; e < 3; e++) assertEquals(losses.get(e), r.epochs().get(e).trainLoss(), 1e-5, "epoch " + (e + 1) + " loss");
        assertTrue(Double.isNaN(r.epochs().get(0).metric()));
    }

    @Test
    void rddPartitionsTrainAsOneBatchOfBothShards() {
        // two partitions of 100, no shuffling: step s is rows [16s, 16s+16) of each partition, one batch of 32
        List<Example> rows = new ArrayList<>();
        for (int i = 0; i < N; i++) rows.add(new Example(java.util.Arrays.copyOfRange(xs, i * FEATURES, (i + 1) * FEATURES), ys[i]));
        JavaRDD<Example> rdd = spark.parallelize(rows, 2);
        SparkTrainer.Result r = trainer().shuffle(false).evaluator((m, d) -> 0.25).fit(rdd, SparkTrainerTest::model, SparkTrainerTest::adam, 2);
        assertEquals(0.25, r.epochs().get(1).metric());

        // the same batches in process: replica r draws worker r's dropout masks (stream seed + 2 + 1000 r)
        Device cpu1 = Device.of("cpu:1");
        int steps = 100 / 16;   // 6 whole batches per partition; rows 96..99 wait
        try (DataParallel<Sequential> dp = new DataParallel<>(List.of(cpu1, cpu1), (d, rr) -> model(d, DataParallel.replicaStream(SEED, rr)),
                SparkTrainerTest::adam)) {
            for (int e = 0; e < 2; e++) {
                for (int s = 0; s < steps; s++) {
                    try (Scope sc = Scope.open()) {
                        float[] bx = new float[BATCH * FEATURES];
                        int[] by = new int[BATCH];
                        for (int half = 0; half < 2; half++) {
                            int from = half * 100 + s * 16;
                            System.arraycopy(xs, from * FEATURES, bx, half * 16 * FEATURES, 16 * FEATURES);
                            System.arraycopy(ys, from, by, half * 16, 16);
                        }
                        dp.step(Tensor.of(cpu1, bx, BATCH, FEATURES), Tensor.of(cpu1, by, BATCH), SparkTrainer.CROSS_ENTROPY);
                    }
                }
            }
            double diff = maxDiff(arrays(dp.model().stateDict()), arrays(r.stateDict()));
            assertTrue(diff <= 1e-5, "parameters differ by " + diff);
        }
    }

    @Test
    void killedWorkerResumesFromTheLastCheckpointAndEndsAsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        Map<String, float[]> expected = arrays(trainer().schedule(CosineLR::new).fit(shared(), SparkTrainerTest::model, SparkTrainerTest::adam, 3)
                .stateDict());
        // worker 1 dies in epoch 2 (steps 7..13): the retried stage loads epoch 1's checkpoint
        SparkTrainer.Result afterKill = trainer().schedule(CosineLR::new).checkpoints(dir.resolve("a")).failAt(1, 10)
                .fit(shared(), SparkTrainerTest::model, SparkTrainerTest::adam, 3);
        assertEquals(List.of(2, 3), afterKill.epochs().stream().map(SparkTrainer.Epoch::epoch).toList(), "the retry trains epochs 2 and 3");
        assertEquals(0.0, maxDiff(expected, arrays(afterKill.stateDict())), "bit for bit as the uninterrupted run");
        assertTrue(Files.exists(dir.resolve("a").resolve(TrainingTask.CHECKPOINT)));
        // worker 0 dies in epoch 1, before any checkpoint: the retry starts over
        SparkTrainer.Result early = trainer().schedule(CosineLR::new).checkpoints(dir.resolve("b")).failAt(0, 3)
                .fit(shared(), SparkTrainerTest::model, SparkTrainerTest::adam, 3);
        assertEquals(3, early.epochs().size());
        assertEquals(0.0, maxDiff(expected, arrays(early.stateDict())));
        // a later fit given the finished run's directory has nothing left to train and returns its parameters
        SparkTrainer.Result again = trainer().schedule(CosineLR::new).checkpoints(dir.resolve("a")).fit(shared(), SparkTrainerTest::model,
                SparkTrainerTest::adam, 3);
        assertTrue(again.epochs().isEmpty());
        assertEquals(0.0, maxDiff(expected, arrays(again.stateDict())));
    }

    @Test
    void badInputIsRefusedBeforeAnyStep(@TempDir Path dir) {
        List<Example> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) rows.add(new Example(java.util.Arrays.copyOfRange(xs, i * FEATURES, (i + 1) * FEATURES), ys[i]));
        var e1 = assertThrows(IllegalArgumentException.class,
                () -> trainer().fit(spark.parallelize(rows, 1), SparkTrainerTest::model, SparkTrainerTest::adam, 1));
        assertTrue(e1.getMessage().contains("1 partitions for 2 workers"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> trainer().batch(1).fit(shared(), SparkTrainerTest::model, SparkTrainerTest::adam, 1));
        assertTrue(e2.getMessage().contains("a batch of 1 cannot be split over 2 workers"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> trainer().workers(3).fit(shared(), SparkTrainerTest::model, SparkTrainerTest::adam, 1));
        assertTrue(e3.getMessage().contains("3 workers need as many task slots"), e3.getMessage());

        Path ckpt = dir.resolve("run");
        var e4 = assertThrows(IllegalArgumentException.class,
                () -> trainer().device("opencl:7").checkpoints(ckpt).fit(shared(), SparkTrainerTest::model, SparkTrainerTest::adam, 1));
        assertTrue(e4.getMessage().contains("worker 0 (") && e4.getMessage().contains("device opencl:7 is missing on this executor"), e4.getMessage());
        assertTrue(e4.getMessage().contains("worker 1 ("), "every worker's refusal: " + e4.getMessage());

        // each worker initialises from its own stream: different models
        var e5 = assertThrows(IllegalArgumentException.class, () -> trainer().checkpoints(ckpt)
                .fit(shared(), (d, random) -> new Linear(FEATURES, CLASSES, true, new Rng(random.seed()), d, org.tessera.DType.F32),
                        SparkTrainerTest::adam, 1));
        assertTrue(e5.getMessage().contains("worker 1 built a model different from worker 0's"), e5.getMessage());

        // 40 rows in 2 partitions of 20, a batch of 64: each worker's share is 32
        var e6 = assertThrows(IllegalArgumentException.class, () -> trainer().batch(64).checkpoints(ckpt)
                .fit(spark.parallelize(rows, 2), SparkTrainerTest::model, SparkTrainerTest::adam, 1));
        assertTrue(e6.getMessage().contains("worker 0's partition has 20 examples, fewer than its 32 of each batch of 64"), e6.getMessage());

        // 200 rows in batches of 66: a last batch of 2 splits; batches of 99 leave 2 as well; 197 leaves 3 for 2 workers: fine. 199 -> 1
        var e7 = assertThrows(IllegalArgumentException.class, () -> trainer().batch(199).checkpoints(ckpt)
                .fit(shared(), SparkTrainerTest::model, SparkTrainerTest::adam, 1));
        assertTrue(e7.getMessage().contains("the last batch of each epoch would have 1 examples for 2 workers"), e7.getMessage());
        assertFalse(Files.exists(ckpt.resolve(TrainingTask.CHECKPOINT)), "nothing trained, nothing written");
    }
}
