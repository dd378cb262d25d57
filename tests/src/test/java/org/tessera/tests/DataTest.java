package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.data.Batch;
import org.tessera.data.DataLoader;
import org.tessera.data.FashionMnist;
import org.tessera.data.Idx;
import org.tessera.testing.Requires;

/** IDX files (good and broken), Fashion-MNIST from Debian's package, and the DataLoader on every device. */
class DataTest {
    @TempDir
    Path dir;

    static byte[] idx(int type, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.write(new byte[] {0, 0, (byte) type, (byte) dims.length});
        for (int d : dims) out.writeInt(d);
        out.write(data);
        return b.toByteArray();
    }

    static Path write(Path file, byte[] bytes, boolean gzip) throws IOException {
        try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            o.write(bytes);
        }
        return file;
    }

    @Test
    void idxImagesAndLabelsPlainAndGzip() throws IOException {
        byte[] pixels = {0, (byte) 255, 51, 102, 1, 2, 3, 4};
        for (boolean gz : new boolean[] {false, true}) {
            Tensor images = Idx.read(write(dir.resolve("img" + gz), idx(8, new int[] {2, 2, 2}, pixels), gz), Device.cpu());
            assertArrayEquals(new int[] {2, 4}, images.shape());
            assertEquals(DType.F32, images.dtype());
            assertArrayEquals(new float[] {0, 1, 0.2f, 0.4f, 1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f}, images.toFloatArray(), 1e-7f);
            Tensor labels = Idx.read(write(dir.resolve("lab" + gz), idx(8, new int[] {3}, new byte[] {9, 0, (byte) 200}), gz), Device.cpu());
            assertEquals(DType.I32, labels.dtype());
            assertArrayEquals(new int[] {9, 0, 200}, labels.toIntArray());
        }
    }

    @Test
    void brokenIdxFilesNameTheFileAndTheProblem() throws IOException {
        Path truncated = write(dir.resolve("truncated.gz"), idx(8, new int[] {10, 28, 28}, new byte[100]), true);
        IOException e = assertThrows(IOException.class, () -> Idx.read(truncated));
        assertTrue(e.getMessage().contains("truncated.gz") && e.getMessage().contains("7840") && e.getMessage().contains("holds 100"), e.getMessage());
        Path headerCut = write(dir.resolve("cut"), new byte[] {0, 0, 8, 3, 0, 0}, false);
        e = assertThrows(IOException.class, () -> Idx.read(headerCut));
        assertTrue(e.getMessage().contains("cut") && e.getMessage().contains("truncated"), e.getMessage());
        Path magic = write(dir.resolve("magic"), new byte[] {1, 2, 8, 1, 0, 0, 0, 0}, false);
        e = assertThrows(IOException.class, () -> Idx.read(magic));
        assertTrue(e.getMessage().contains("not an IDX file"), e.getMessage());
        Path floats = write(dir.resolve("floats"), idx(0x0D, new int[] {1}, new byte[4]), false);
        e = assertThrows(IOException.class, () -> Idx.read(floats));
        assertTrue(e.getMessage().contains("0x0D"), e.getMessage());
        Path extra = write(dir.resolve("extra"), idx(8, new int[] {2}, new byte[3]), false);
        e = assertThrows(IOException.class, () -> Idx.read(extra));
        assertTrue(e.getMessage().contains("past the 2 elements"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> Idx.read(dir.resolve("absent")));
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> FashionMnist.load(dir));
        assertTrue(missing.getMessage().contains("apt-get install dataset-fashion-mnist"), missing.getMessage());
    }

    /** The real dataset, as Debian's dataset-fashion-mnist installs it (skipped without it, naming the package; CI requires it). */
    @Test
    void fashionMnistFromTheDebianPackage() throws IOException {
        Requires.that(Files.isDirectory(FashionMnist.DEBIAN_DIR), FashionMnist.missingMessage(FashionMnist.DEBIAN_DIR));
        FashionMnist data = FashionMnist.load(FashionMnist.DEBIAN_DIR, Device.cpu());
        assertArrayEquals(new int[] {60000, 784}, data.trainImages().shape());
        assertArrayEquals(new int[] {60000}, data.trainLabels().shape());
        assertArrayEquals(new int[] {10000, 784}, data.testImages().shape());
        int[] counts = new int[10];
        for (int l : data.trainLabels().toIntArray()) counts[l]++;
        for (int c : counts) assertEquals(6000, c, "the training set is balanced: 6,000 per class");
        assertEquals(9, data.trainLabels().toIntArray()[0], "the first training image is an ankle boot");
        assertEquals(0.2860, data.trainMean(), 1e-4, "published pixel mean");
        assertEquals(0.3530, data.trainStd(), 1e-4, "published pixel std");
        FashionMnist std = data.standardized();
        assertEquals(0, std.trainImages().mean().item(), 1e-5);
    }

    static List<Object[]> devices() {
        List<Object[]> out = new ArrayList<>();
        Devices.all().forEach(d -> out.add(new Object[] {d}));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void loaderShufflesEachEpochFromTheRngAndOwnsItsBatches(Device d) {
        int n = 10;
        float[] xs = new float[n * 2];
        int[] ys = new int[n];
        for (int i = 0; i < n; i++) { xs[2 * i] = i; xs[2 * i + 1] = -i; ys[i] = i; }
        Tensor x = Tensor.of(d, xs, n, 2), y = Tensor.of(d, ys, n);
        DataLoader loader = new DataLoader(x, y, 4, true, new Rng(5));
        assertEquals(3, loader.batches());
        List<Integer> first = new ArrayList<>(), second = new ArrayList<>();
        List<Batch> seen = new ArrayList<>();
        for (Batch b : loader) {
            float[] bx = b.x().toFloatArray();
            int[] by = b.y().toIntArray();
            assertEquals(d, b.x().device());
            for (int i = 0; i < by.length; i++) {
                assertEquals(by[i], bx[2 * i], 0, "rows stay paired with their labels");
                assertEquals(-by[i], bx[2 * i + 1], 0);
                first.add(by[i]);
            }
            seen.add(b);
        }
        assertEquals(List.of(4, 4, 2), seen.stream().map(Batch::size).toList());
        assertTrue(seen.stream().allMatch(b -> b.x().isClosed()), "the loader closes each batch when the next is asked for");
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), new HashSet<>(first), "a permutation");
        for (Batch b : loader) for (int v : b.y().toIntArray()) second.add(v);
        assertNotEquals(first, second, "each epoch draws a new order");
        List<Integer> again = new ArrayList<>();
        for (Batch b : new DataLoader(x, y, 4, true, new Rng(5))) for (int v : b.y().toIntArray()) again.add(v);
        assertEquals(first, again, "the seed fixes the order");
        DataLoader drop = new DataLoader(x, y, 4, false, null).dropLast(true);
        List<Integer> ordered = new ArrayList<>();
        for (Batch b : drop) for (int v : b.y().toIntArray()) ordered.add(v);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), ordered);
        assertEquals(8, drop.examples());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DataLoader(x, Tensor.zeros(d, 9), 4, false, null));
        assertTrue(e.getMessage().contains("[10, 2]") && e.getMessage().contains("[9]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(x, y, 0, false, null));
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(x, y, 4, true, null));
    }
}
