package org.tessera.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;

/**
 * The safetensors file format (Hugging Face; readable by PyTorch's and Hugging Face's tools): an 8-byte
 * little-endian header length N, N bytes of JSON ({@code {"name": {"dtype": "F32", "shape": [2, 3],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value"}}}, padded with spaces to a multiple of 8),
 * then the raw little-endian data, offsets relative to its start. Tessera reads and writes F32, F64 and I32.
 *
 * <p>Loading validates everything before making a tensor: header length within the file, JSON, dtypes, shapes,
 * and offsets (in range, of the right size, no overlap and no hole). Saving writes a temporary file in the target
 * directory and renames it, so an interrupted save leaves any previous file intact.
 */
public final class SafeTensors {
    /** Headers larger than this are refused (the format's reference implementation uses the same bound). */
    static final long MAX_HEADER = 100L << 20;
    private static final String METADATA = "__metadata__";

    private SafeTensors() {}

    public static void save(Map<String, Tensor> tensors, Path file) throws IOException {
        save(tensors, Map.of(), file);
    }

    /** Saves tensors in the map's order, with string metadata (may be empty). */
    public static void save(Map<String, Tensor> tensors, Map<String, String> metadata, Path file) throws IOException {
        StringBuilder h = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            h.append(Json.quote(METADATA)).append(":{");
            int k = 0;
            for (var e : metadata.entrySet()) h.append(k++ == 0 ? "" : ",").append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
            h.append('}');
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || name.isEmpty() || name.equals(METADATA)) throw new IllegalArgumentException("invalid tensor name '" + name + "'");
            if (t == null || t.isClosed()) throw new IllegalArgumentException("tensor '" + name + "' is null or closed");
            long bytes = t.numel() * t.dtype().byteSize();
            if (h.length() > 1) h.append(',');
            h.append(Json.quote(name)).append(":{\"dtype\":\"").append(t.dtype()).append("\",\"shape\":")
                    .append(java.util.Arrays.toString(t.shape()).replace(" ", "")).append(",\"data_offsets\":[").append(offset).append(',')
                    .append(offset + bytes).append("]}");
            offset += bytes;
        }
        h.append('}');
        String json = h.toString();
        int pad = (8 - json.getBytes(StandardCharsets.UTF_8).length % 8) % 8;   // the data starts 8-byte aligned
        byte[] header = (json + " ".repeat(pad)).getBytes(StandardCharsets.UTF_8);

        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Tensor t : tensors.values()) writeFully(ch, littleEndian(t));
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Atomic.move(tmp, file);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static ByteBuffer littleEndian(Tensor t) {
        ByteBuffer b = ByteBuffer.allocate((int) (t.numel() * t.dtype().byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().put(t.toFloatArray());
            case F64 -> b.asDoubleBuffer().put(t.toDoubleArray());
            case I32 -> b.asIntBuffer().put(t.toIntArray());
            case F16, BF16 -> b.asShortBuffer().put(t.toHalfBits());     // the stored bits, as PyTorch writes them
        }
        return b;
    }

    public static Map<String, Tensor> load(Path file) throws IOException {
        return load(file, Device.getDefault());
    }

    /** The tensors of a file, in its header's order, on {@code device}. */
    public static Map<String, Tensor> load(Path file, Device device) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(file, ch);
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Entry e : h.entries) {
                ByteBuffer b = ByteBuffer.allocate((int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN);
                long pos = h.dataStart + e.begin;
                while (b.hasRemaining()) {
                    int n = ch.read(b, pos + b.position());
                    if (n < 0) throw new IOException(file + ": file ended inside tensor '" + e.name + "'");
                }
                b.flip();
                out.put(e.name, switch (e.dtype) {
                    case F32 -> { float[] v = new float[b.remaining() / 4]; b.asFloatBuffer().get(v); yield Tensor.of(device, v, e.shape); }
                    case F64 -> { double[] v = new double[b.remaining() / 8]; b.asDoubleBuffer().get(v); yield Tensor.of(device, v, e.shape); }
                    case I32 -> { int[] v = new int[b.remaining() / 4]; b.asIntBuffer().get(v); yield Tensor.of(device, v, e.shape); }
                    case F16, BF16 -> {
                        short[] v = new short[b.remaining() / 2];
                        b.asShortBuffer().get(v);
                        yield Tensor.ofHalfBits(device, e.dtype, v, e.shape);
                    }
                });
            }
            return out;
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such safetensors file");
        }
    }

    /** The file's {@code __metadata__} (empty when it has none). */
    public static Map<String, String> metadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return header(file, ch).metadata;
        }
    }

    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {}

    private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    private static Header header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw new IOException(file + ": " + size + " bytes is too short for a safetensors file (8-byte header length)");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(lenBuf, 0);
        long n = lenBuf.flip().getLong();
        if (n < 2 || n > size - 8) throw new IOException(file + ": header length " + n + " does not fit a file of " + size + " bytes");
        if (n > MAX_HEADER) throw new IOException(file + ": header length " + n + " exceeds the " + MAX_HEADER + "-byte limit");
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        while (hb.hasRemaining()) if (ch.read(hb, 8 + hb.position()) < 0) throw new IOException(file + ": truncated header");
        Object json;
        try {
            json = Json.parse(new String(hb.array(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": header is not valid JSON (" + e.getMessage() + ")", e);
        }
        if (!(json instanceof Map<?, ?> top)) throw new IOException(file + ": header must be a JSON object");
        long dataSize = size - 8 - n;
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (var kv : top.entrySet()) {
            String name = (String) kv.getKey();
            if (name.equals(METADATA)) {
                if (!(kv.getValue() instanceof Map<?, ?> m)) throw new IOException(file + ": __metadata__ must be an object of strings");
                for (var me : m.entrySet()) {
                    if (!(me.getValue() instanceof String v)) throw new IOException(file + ": __metadata__ value of '" + me.getKey() + "' is not a string");
                    metadata.put((String) me.getKey(), v);
                }
                continue;
            }
            entries.add(entry(file, name, kv.getValue(), dataSize));
        }
        // offsets must tile the data exactly: sorted by start, each begins where the previous ended
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(java.util.Comparator.comparingLong(Entry::begin));
        long at = 0;
        for (Entry e : sorted) {
            if (e.begin != at) {
                throw new IOException(file + ": tensor '" + e.name + "' starts at byte " + e.begin + " of the data, expected " + at
                        + (e.begin < at ? " (it overlaps the previous tensor)" : " (a hole before it)"));
            }
            at = e.end;
        }
        if (at != dataSize) throw new IOException(file + ": the tensors cover " + at + " bytes of data but the file holds " + dataSize);
        return new Header(entries, metadata, 8 + n);
    }

    private static Entry entry(Path file, String name, Object spec, long dataSize) throws IOException {
        String where = file + ": tensor '" + name + "'";
        if (!(spec instanceof Map<?, ?> m)) throw new IOException(where + " must be described by an object");
        for (Object k : m.keySet()) {
            if (!List.of("dtype", "shape", "data_offsets").contains(k)) throw new IOException(where + " has an unknown field '" + k + "'");
        }
        if (!(m.get("dtype") instanceof String ds)) throw new IOException(where + " has no dtype string");
        DType dtype;
        switch (ds) {
            case "F32" -> dtype = DType.F32;
            case "F64" -> dtype = DType.F64;
            case "I32" -> dtype = DType.I32;
            case "F16" -> dtype = DType.F16;
            case "BF16" -> dtype = DType.BF16;
            default -> throw new IOException(where + " has dtype " + ds + ", which Tessera does not read (F32, F64, I32, F16, BF16)");
        }
        if (!(m.get("shape") instanceof List<?> sl)) throw new IOException(where + " has no shape array");
        int[] shape = new int[sl.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(sl.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) throw new IOException(where + " has an invalid shape " + sl);
            shape[i] = (int) (long) d;
            numel *= d;
            if (numel > Integer.MAX_VALUE) throw new IOException(where + " has more than 2^31-1 elements");
        }
        if (!(m.get("data_offsets") instanceof List<?> ol) || ol.size() != 2 || !(ol.get(0) instanceof Long begin)
                || !(ol.get(1) instanceof Long end)) {
            throw new IOException(where + " needs data_offsets [begin, end]");
        }
        if (begin < 0 || end < begin) throw new IOException(where + " has data_offsets " + ol + " out of order");
        if (end > dataSize) throw new IOException(where + " has data_offsets " + ol + " past the end of the data (" + dataSize + " bytes)");
        if (end - begin != numel * dtype.byteSize()) {
            throw new IOException(where + " spans " + (end - begin) + " bytes, but " + java.util.Arrays.toString(shape) + " " + dtype + " needs "
                    + numel * dtype.byteSize());
        }
        return new Entry(name, dtype, shape, begin, end);
    }
}
