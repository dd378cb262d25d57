package org.tessera.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.tessera.Device;
import org.tessera.Tensor;

/**
 * Reads MNIST-style IDX files (gzip-compressed or plain, told apart by their first bytes): a magic number
 * {@code 0x00 0x00 type rank}, {@code rank} big-endian int32 sizes, then the elements. Unsigned-byte files of
 * rank 1 become I32 labels {@code [N]}; of higher rank, F32 images {@code [N, rows * cols]} scaled to [0, 1].
 * Every inconsistency (bad magic, other element types, a truncated or over-long file) throws an
 * {@link IOException} naming the file and what is wrong, before a tensor is made.
 */
public final class Idx {
    private static final int UNSIGNED_BYTE = 0x08;
    private static final int MAX_RANK = 4;

    private Idx() {}

    public static Tensor read(Path file) throws IOException {
        return read(file, Device.getDefault());
    }

    public static Tensor read(Path file, Device device) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such IDX file");
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f & raw.read() == 0x8b;
            raw.reset();
            try (DataInputStream in = new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw)) {
                return parse(file, in, device);
            }
        } catch (EOFException e) {
            throw new IOException(file + ": truncated IDX file (" + e.getMessage() + ")", e);
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
        }
    }

    private static Tensor parse(Path file, DataInputStream in, Device device) throws IOException {
        int zero0 = in.readUnsignedByte(), zero1 = in.readUnsignedByte(), type = in.readUnsignedByte(), rank = in.readUnsignedByte();
        if (zero0 != 0 || zero1 != 0) {
            throw new IOException(file + ": not an IDX file (magic starts " + hex(zero0) + " " + hex(zero1) + ", expected 0x00 0x00)");
        }
        if (type != UNSIGNED_BYTE) throw new IOException(file + ": IDX element type " + hex(type) + " is not supported (only unsigned bytes, 0x08)");
        if (rank < 1 || rank > MAX_RANK) throw new IOException(file + ": IDX rank " + rank + " is outside 1.." + MAX_RANK);
        int[] dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = in.readInt();
            if (dims[i] < 0) throw new IOException(file + ": IDX size " + i + " is negative (" + dims[i] + ")");
            total *= dims[i];
            if (total > Integer.MAX_VALUE) throw new IOException(file + ": IDX file holds more than 2^31-1 elements");
        }
        byte[] data = new byte[(int) total];
        int got = in.readNBytes(data, 0, data.length);
        if (got < data.length) {
            throw new IOException(file + ": truncated IDX file: the header promises " + total + " elements " + java.util.Arrays.toString(dims)
                    + ", the file holds " + got);
        }
        if (in.read() != -1) throw new IOException(file + ": IDX file has data past the " + total + " elements its header declares");
        int n = dims[0];
        if (rank == 1) {
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) labels[i] = data[i] & 0xff;
            return Tensor.of(device, labels, n);
        }
        float[] pixels = new float[data.length];
        for (int i = 0; i < data.length; i++) pixels[i] = (data[i] & 0xff) / 255f;
        return Tensor.of(device, pixels, n, n == 0 ? 0 : data.length / n);
    }

    private static String hex(int b) {
        return String.format("0x%02X", b);
    }
}
