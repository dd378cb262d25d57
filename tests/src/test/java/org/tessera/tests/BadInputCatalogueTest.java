package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.TesseraException;
import org.tessera.autograd.Autograd;
import org.tessera.data.FashionMnist;
import org.tessera.data.Idx;
import org.tessera.io.SafeTensors;
import org.tessera.nn.Linear;
import org.tessera.nn.Losses;

/**
 * The README's table of errors a user can cause: one row each, run on every device, each checked for its
 * exception type and the parts of the message that tell the user what was wrong. The table is written to
 * tests/target/bad-input-catalogue.md from the messages of the CPU run (the README holds a copy).
 */
class BadInputCatalogueTest {
    record Row(String what, Class<? extends Throwable> type, Executable call, String... fragments) {}

    static final List<String> TABLE = new ArrayList<>();

    @AfterEach
    void anomalyOff() {
        Autograd.detectAnomaly(false);
    }

    static List<Row> rows(Device d) throws IOException {
        Path dir = Files.createTempDirectory("tessera-bad-input");
        Path idx = Files.write(dir.resolve("train-images-idx3-ubyte"), new byte[] {0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3});
        ByteBuffer st = ByteBuffer.allocate(8 + 64).order(ByteOrder.LITTLE_ENDIAN);
        st.putLong(64).put(String.format("%-64s", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}").getBytes());
        Path safetensors = Files.write(dir.resolve("model.safetensors"), st.array());
        Tensor a = Tensor.ones(d, 2, 3), closed = Tensor.ones(d, 2);
        closed.close();
        Tensor leaf = Tensor.ones(d, 3).requiresGrad(true);
        List<Row> r = new ArrayList<>();
        r.add(new Row("shapes that do not broadcast", IllegalArgumentException.class, () -> a.add(Tensor.ones(d, 4)), "[2, 3]", "[4]"));
        r.add(new Row("matmul inner sizes differ", IllegalArgumentException.class, () -> a.matmul(Tensor.ones(d, 4, 5)), "[2, 3]", "[4, 5]"));
        r.add(new Row("dtypes mixed in one op", IllegalArgumentException.class, () -> a.add(Tensor.ones(d, DType.F64, 2, 3)), "F32", "F64"));
        r.add(new Row("tensors on different devices", IllegalArgumentException.class, () -> a.add(Tensor.ones(Device.of("cpu:1"), 2, 3)),
                "cpu:1", "to(Device)"));
        r.add(new Row("a dim out of range", IllegalArgumentException.class, () -> a.sum(2, false), "dim 2", "-2 to 1"));
        r.add(new Row("using a closed tensor", IllegalStateException.class, () -> closed.add(closed), "closed"));
        r.add(new Row("backward() on a non-scalar without a gradient", IllegalStateException.class, () -> leaf.mul(2).backward(),
                "one element", "[3]", "backward(gradient)"));
        r.add(new Row("backward twice through a freed graph", IllegalStateException.class, () -> {
            Tensor y = leaf.mul(leaf).sum();
            y.backward();
            y.backward();
        }, "retainGraph"));
        r.add(new Row("an in-place change of a tensor saved for backward", IllegalStateException.class, () -> {
            Tensor h = leaf.mul(1);
            Tensor y = h.mul(h);                      // mul saves both operands
            h.addi(1);
            y.sum().backward();
        }, "modified"));
        r.add(new Row("in place on a leaf that requires grad", IllegalStateException.class, () -> leaf.addi(1), "leaf", "noGrad"));
        r.add(new Row("in place on a view of a leaf that requires grad", IllegalStateException.class, () -> leaf.narrow(0, 0, 2).muli(2),
                "view of a leaf", "noGrad"));
        r.add(new Row("in place, with grad mode on, on a view made under noGrad", IllegalStateException.class, () -> {
            Tensor h = leaf.mul(1), v;
            try (var off = Autograd.noGrad()) {
                v = h.narrow(0, 0, 2);
            }
            v.muli(leaf.narrow(0, 0, 2));
        }, "made under noGrad"));
        r.add(new Row("a class label out of range", IllegalArgumentException.class,
                () -> Losses.crossEntropy(Tensor.zeros(d, 2, 3), Tensor.of(d, new int[] {1, 3}, 2)), "label 3", "3 classes"));
        r.add(new Row("a gather index out of range", IllegalArgumentException.class,
                () -> a.gather(1, Tensor.of(d, new int[] {0, 7}, 2, 1)), "index 7", "size 3"));
        r.add(new Row("NaN/Inf produced with anomaly mode on", IllegalStateException.class, () -> {
            Autograd.detectAnomaly(true);
            Tensor.of(d, new float[] {-1}, 1).log();
        }, "anomaly", "'log'", "BadInputCatalogueTest"));
        r.add(new Row("Fashion-MNIST files missing", java.nio.file.NoSuchFileException.class, () -> FashionMnist.load(dir.resolve("nowhere")),
                "apt-get install dataset-fashion-mnist"));
        r.add(new Row("a truncated IDX file", IOException.class, () -> Idx.read(idx, d), "train-images-idx3-ubyte", "truncated", "7056"));
        r.add(new Row("a safetensors offset past the end", IOException.class, () -> SafeTensors.load(safetensors, d), "model.safetensors",
                "'w'", "past the end"));
        r.add(new Row("an unknown device spec", TesseraException.class, () -> Device.of("tpu:0"), "tpu", "cpu"));
        r.add(new Row("a state dict that does not fit", IllegalArgumentException.class,
                () -> new Linear(3, 2, true, new Rng(1), d, DType.F32).loadStateDict(Map.of("weight", Tensor.zeros(d, 2, 4))),
                "missing keys [bias]"));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void everyRowThrowsItsExceptionWithAMessageThatSaysWhatWasWrong(Device d) throws IOException {
        for (Row row : rows(d)) {
            Throwable e = assertThrows(row.type(), row.call(), row.what());
            for (String f : row.fragments()) assertTrue(e.getMessage().contains(f), row.what() + ": message lacks '" + f + "': " + e.getMessage());
            Autograd.detectAnomaly(false);
            if (d == Device.cpu()) {
                String msg = e.getMessage().replace("|", "\\\\|").replace("\\n", " ");
                if (msg.length() > 160) msg = msg.substring(0, 157) + "...";
                TABLE.add("| " + row.what() + " | `" + row.type().getSimpleName() + "` | " + msg + " |");
            }
        }
    }

    @AfterAll
    static void writeTable() throws IOException {
        if (TABLE.isEmpty()) return;
        List<String> lines = new ArrayList<>(List.of("| what you did | exception | message (CPU) |", "|---|---|---|"));
        lines.addAll(TABLE);
        Files.write(Path.of("target", "bad-input-catalogue.md"), lines);
    }
}
