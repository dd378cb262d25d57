package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.data.Batch;
import org.tessera.data.DataLoader;
import org.tessera.io.Checkpoint;
import org.tessera.io.SafeTensors;
import org.tessera.nn.Dropout;
import org.tessera.nn.Linear;
import org.tessera.nn.ReLU;
import org.tessera.nn.Sequential;
import org.tessera.optim.Adam;

/** Safetensors files (interop with tests/src/test/python/safetensors_interop.py, validation) and checkpoints. */
class FilesTest {
    @TempDir
    Path dir;

    static byte[] pythonFile() throws IOException {
        try (InputStream in = FilesTest.class.getResourceAsStream("/safetensors/python.safetensors")) {
            return in.readAllBytes();
        }
    }

    /** The tensors the Python script writes. */
    static Map<String, Tensor> pythonTensors(Device d) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("weight", Tensor.of(d, new float[] {-1, -0.5f, 0, 0.5f, 1, 1.5f}, 2, 3));
        m.put("bias", Tensor.of(d, new double[] {0.1, -0.2, 1e-300}, 3));
        m.put("labels", Tensor.of(d, new int[] {0, -1, 7, Integer.MAX_VALUE}, 4));
        m.put("empty", Tensor.zeros(d, 0, 2));
        return m;
    }

    static final Map<String, String> PYTHON_METADATA = new LinkedHashMap<>();
    static {
        PYTHON_METADATA.put("format", "pt");
        PYTHON_METADATA.put("source", "safetensors_interop.py");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void readsWhatPythonWroteAndWritesTheSameBytes(Device d) throws IOException {
        Path py = Files.write(dir.resolve("python.safetensors"), pythonFile());
        Map<String, Tensor> loaded = SafeTensors.load(py, d);
        Map<String, Tensor> want = pythonTensors(d);
        assertEquals(List.copyOf(want.keySet()), List.copyOf(loaded.keySet()), "header order");
        for (var e : want.entrySet()) {
            Tensor got = loaded.get(e.getKey());
            assertEquals(e.getValue().dtype(), got.dtype(), e.getKey());
            assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
            assertArrayEquals(e.getValue().toDoubleArray(), got.toDoubleArray(), 0, e.getKey());
            assertEquals(d, got.device());
        }
        assertEquals(PYTHON_METADATA, SafeTensors.metadata(py));
        Path ours = dir.resolve("tessera.safetensors");
        SafeTensors.save(want, PYTHON_METADATA, ours);
        assertArrayEquals(pythonFile(), Files.readAllBytes(ours), "Tessera writes the bytes the Python writer writes");
    }

    /** A file whose 8-byte length prefix and JSON header are given, followed by {@code data} bytes. */
    Path file(String name, String header, int data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return Files.write(dir.resolve(name), b.array());
    }

    @Test
    void corruptFilesAreRefusedWithTheReason() throws IOException {
        String[][] cases = {
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "4", "past the end"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "8", "needs 12"},
            {"{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "8", "dtype I64"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "8",
                "overlaps"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "8", "a hole"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "12", "file holds 12"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "4", "invalid shape"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "4", "not valid JSON"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", "4", "unknown field 'extra'"},
        };
        for (int i = 0; i < cases.length; i++) {
            Path f = file("bad" + i, cases[i][0], Integer.parseInt(cases[i][1]));
            IOException e = assertThrows(IOException.class, () -> SafeTensors.load(f, Device.cpu()), cases[i][0]);
            assertTrue(e.getMessage().contains(cases[i][2]) && e.getMessage().contains("bad" + i), e.getMessage());
        }
        Path lengthTooLong = Files.write(dir.resolve("long"), ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        IOException e = assertThrows(IOException.class, () -> SafeTensors.load(lengthTooLong, Device.cpu()));
        assertTrue(e.getMessage().contains("header length 1000"), e.getMessage());
        Path tiny = Files.write(dir.resolve("tiny"), new byte[3]);
        assertThrows(IOException.class, () -> SafeTensors.load(tiny, Device.cpu()));
        byte[] cut = pythonFile();
        Path truncated = Files.write(dir.resolve("truncated"), java.util.Arrays.copyOf(cut, cut.length - 5));
        e = assertThrows(IOException.class, () -> SafeTensors.load(truncated, Device.cpu()));
        assertTrue(e.getMessage().contains("past the end") || e.getMessage().contains("cover"), e.getMessage());
    }

    @Test
    void aSaveThatFailsHalfWayLeavesThePreviousFileIntact() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.save(Map.of("w", Tensor.of(Device.cpu(), new float[] {1, 2}, 2)), f);
        byte[] before = Files.readAllBytes(f);
        // a map whose second pass over its values fails: the header is written, then the data breaks off
        Tensor a = Tensor.of(Device.cpu(), new float[] {3}, 1);
        Map<String, Tensor> failing = new AbstractMap<>() {
            int passes;

            @Override
            public Set<Entry<String, Tensor>> entrySet() {
                return Map.of("w", a).entrySet();
            }

            @Override
            public java.util.Collection<Tensor> values() {
                if (++passes > 0) throw new IllegalStateException("disk full (injected)");
                return List.of(a);
            }
        };
        assertThrows(IllegalStateException.class, () -> SafeTensors.save(failing, f));
        assertArrayEquals(before, Files.readAllBytes(f), "the previous file is intact");
        try (var s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList(), "no temporary file left behind");
        }
    }

    static Sequential model(Device d) {
        Rng init = new Rng(11);
        return new Sequential(new Linear(6, 8, true, init, d, DType.F32), new ReLU(), new Dropout(0.25, new Rng(12)),
                new Linear(8, 3, true, init, d, DType.F32));
    }

    /** Trains for {@code epochs} epochs of a shuffled loader with dropout and Adam, from a fresh or a restored state. */
    static void train(Sequential m, Adam opt, DataLoader loader, int epochs) {
        for (int e = 0; e < epochs; e++) {
            for (Batch b : loader) {
                try (Scope s = Scope.open()) {
                    opt.zeroGrad();
                    m.forward(b.x()).crossEntropy(b.y()).mean().backward();
                    opt.step();
                }
            }
        }
    }

    /** 2 epochs, checkpoint, fresh objects restored from it, 2 more epochs == 4 epochs straight, bit for bit. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void resumingFromACheckpointContinuesExactly(Device d) throws IOException {
        Tensor x = Tensor.randn(d, new Rng(1), 50, 6);
        int[] labels = new int[50];
        for (int i = 0; i < 50; i++) labels[i] = i % 3;
        Tensor y = Tensor.of(d, labels, 50);

        Sequential straight = model(d);
        Rng shuffle = new Rng(13);
        Adam opt = new Adam(straight.parameters(), 0.01);
        train(straight, opt, new DataLoader(x, y, 8, true, shuffle), 4);

        Sequential first = model(d);
        Rng shuffle1 = new Rng(13);
        Adam opt1 = new Adam(first.parameters(), 0.01);
        train(first, opt1, new DataLoader(x, y, 8, true, shuffle1), 2);
        Path ckpt = dir.resolve("ckpt.safetensors");
        Rng dropout1 = ((Dropout) first.get(2)).rng();
        Checkpoint.save(ckpt, first, opt1, 2, Map.of("shuffle", shuffle1, "dropout", dropout1), Map.of("epoch", "2"));

        Sequential resumed = model(d);                   // fresh objects, as a new process would make
        Rng shuffle2 = new Rng(13);
        Adam opt2 = new Adam(resumed.parameters(), 0.01);
        Checkpoint.Info info = Checkpoint.load(ckpt, resumed, opt2, Map.of("shuffle", shuffle2, "dropout", ((Dropout) resumed.get(2)).rng()));
        assertEquals(2, info.step());
        assertEquals("2", info.extra().get("epoch"));
        train(resumed, opt2, new DataLoader(x, y, 8, true, shuffle2), 2);

        List<Tensor> a = straight.parameters(), b = resumed.parameters();
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i).toFloatArray(), b.get(i).toFloatArray(), "parameter " + i);
        IOException e = assertThrows(IOException.class,
                () -> Checkpoint.load(ckpt, model(d), new Adam(model(d).parameters(), 0.01), Map.of("shuffle", new Rng(99))));
        assertTrue(e.getMessage().contains("seed 13") && e.getMessage().contains("seed 99"), e.getMessage());
    }
}
