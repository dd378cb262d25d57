package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.data.FashionMnist;
import org.tessera.testing.Requires;

/** {@code tessera train --precision bf16 / f16}: F32 master weights, 16-bit products, the accuracy F32 training reaches. */
class PrecisionTrainingTest {

    @BeforeAll
    static void data() {
        Requires.that(Files.isDirectory(FashionMnist.DEBIAN_DIR), FashionMnist.missingMessage(FashionMnist.DEBIAN_DIR));
    }

    static MlpTrainer.Config config(List<Device> devices, DType precision) {
        return new MlpTrainer.Config(devices, FashionMnist.DEBIAN_DIR, new int[] {128}, "relu", 0, "adam", 1e-3, "none", 1, 250, 0,
                null, null, precision);
    }

    static double accuracy(DType precision) throws IOException {
        return MlpTrainer.train(config(List.of(Device.cpu()), precision), new MlpTrainer.Listener() {}).get(0).testAccuracy();
    }

    @Test
    void sixteenBitTrainingReachesF32sAccuracy() throws IOException {
        double f32 = accuracy(DType.F32), bf16 = accuracy(DType.BF16), f16 = accuracy(DType.F16);
        assertTrue(f32 > 0.8, "F32 learned: " + f32);
        assertEquals(f32, bf16, 0.01, "BF16 after one epoch");
        assertEquals(f32, f16, 0.01, "F16 (loss-scaled) after one epoch");
    }

    @Test
    void precisionsThatCannotRunAreRefusedBeforeTraining() {
        var e = assertThrows(IllegalArgumentException.class, () -> config(List.of(Device.cpu()), DType.I32));
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(List.of(Device.of("cpu:1"), Device.of("cpu:1")), DType.BF16));
        assertTrue(e.getMessage().contains("F32 only"), e.getMessage());
        assertEquals(DType.BF16, new TrainCommand.PrecisionConverter().convert("BF16"));
        assertThrows(picocli.CommandLine.TypeConversionException.class, () -> new TrainCommand.PrecisionConverter().convert("int8"));
    }
}
