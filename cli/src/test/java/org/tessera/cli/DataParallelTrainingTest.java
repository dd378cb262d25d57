package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.Device;
import org.tessera.data.FashionMnist;
import org.tessera.testing.Requires;

/** {@code tessera train --devices cpu:1,cpu:1} on Fashion-MNIST: what one device learns, checkpoints that resume exactly. */
class DataParallelTrainingTest {
    static final List<Device> TWO = List.of(Device.of("cpu:1"), Device.of("cpu:1"));

    @TempDir
    Path dir;

    @BeforeAll
    static void data() {
        Requires.that(Files.isDirectory(FashionMnist.DEBIAN_DIR), FashionMnist.missingMessage(FashionMnist.DEBIAN_DIR));
    }

    /** A small model, one epoch, no dropout (replicas draw their own masks, so dropout makes runs differ by design). */
    static MlpTrainer.Config config(List<Device> devices, double dropout, int epochs, Path save, Path resume) {
        // a constant rate: a schedule spans the configured epochs, so a 1-epoch run would not be the first half of a 2-epoch one
        return new MlpTrainer.Config(devices, FashionMnist.DEBIAN_DIR, new int[] {64}, "relu", dropout, "adam", 1e-3, "none", epochs, 250, 0,
                save, resume);
    }

    @Test
    void twoReplicasLearnWhatOneDeviceLearns() throws IOException {
        MlpTrainer.Epoch one = MlpTrainer.train(config(List.of(Device.of("cpu:1")), 0, 1, null, null), new MlpTrainer.Listener() {}).get(0);
        MlpTrainer.Epoch two = MlpTrainer.train(config(TWO, 0, 1, null, null), new MlpTrainer.Listener() {}).get(0);
        assertEquals(one.testAccuracy(), two.testAccuracy(), 0.005, "test accuracy after one epoch");
        assertEquals(one.trainLoss(), two.trainLoss(), 1e-3, "mean training loss of the epoch");
        assertTrue(two.testAccuracy() > 0.8, "it learned: " + two.testAccuracy());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    void aResumedRunEndsExactlyAsAnUninterruptedOne(int replicas) throws IOException {
        List<Device> TWO = replicas == 1 ? List.of(Device.of("cpu:1")) : DataParallelTrainingTest.TWO;
        // with dropout on: each replica's own dropout stream is saved and restored too
        double whole = MlpTrainer.train(config(TWO, 0.2, 2, null, null), new MlpTrainer.Listener() {}).get(1).trainLoss();
        Path ckpt = dir.resolve("dp.safetensors");
        MlpTrainer.train(config(TWO, 0.2, 1, ckpt, null), new MlpTrainer.Listener() {});
        List<MlpTrainer.Epoch> resumed = MlpTrainer.train(config(TWO, 0.2, 2, null, ckpt), new MlpTrainer.Listener() {});
        assertEquals(1, resumed.size());
        assertEquals(whole, resumed.get(0).trainLoss(), 0.0, "epoch 2's loss, bit for bit");
    }

    @Test
    void aBatchThatCannotBeSplitIsRefusedBeforeTraining() {
        var e = assertThrows(IllegalArgumentException.class, () -> new MlpTrainer.Config(List.of(Device.of("cpu:1"), Device.of("cpu:1"),
                Device.of("cpu:1")), FashionMnist.DEBIAN_DIR, new int[] {8}, "relu", 0, "adam", 1e-3, "none", 1, 2, 0, null, null));
        assertTrue(e.getMessage().contains("a batch of 2 cannot be split over 3 devices"), e.getMessage());
        // 60000 = 29999 * 2 + 2: fine; 60000 % 59999 = 1 example left for 2 replicas: refused before the first step
        var last = assertThrows(IllegalArgumentException.class, () -> MlpTrainer.train(config(TWO, 0, 1, null, null).withBatch(59999),
                new MlpTrainer.Listener() {}));
        assertTrue(last.getMessage().contains("the last batch of each epoch would have 1 examples for 2 devices"), last.getMessage());
    }
}
