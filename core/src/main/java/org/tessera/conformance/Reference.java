package org.tessera.conformance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;

/**
 * Reference values computed by PyTorch 1.13 in float64 ({@code tests/src/test/python/make_expected.py} writes
 * {@code torch.txt} beside this class): the expected outputs and gradients of the conformance cases. Shipped in the
 * jar so {@code tessera selftest} checks a user's device against the same numbers as the test suite.
 */
public final class Reference {
    /** One reference tensor: its shape and row-major values. */
    public record Entry(int[] shape, double[] values) {}

    private static final Map<String, Entry> ENTRIES = load();

    private Reference() {}

    public static Entry get(String key) {
        Entry e = ENTRIES.get(key);
        if (e == null) throw new IllegalArgumentException("no reference value '" + key + "' in torch.txt; rerun make_expected.py");
        return e;
    }

    /** Whether torch.txt has an entry for {@code key}. */
    public static boolean has(String key) {
        return ENTRIES.containsKey(key);
    }

    public static double[] values(String key) {
        return get(key).values().clone();
    }

    /** The reference as a tensor of the given dtype on a device. */
    public static Tensor tensor(String key, Device device, DType dtype) {
        Entry e = get(key);
        Tensor t = Tensor.of(device, e.values()).reshape(e.shape());
        if (dtype == DType.F64) return t;
        Tensor c = t.to(dtype);
        t.close();
        return c;
    }

    /** A value as Python's repr() wrote it ("nan", "inf" and "-inf" included). */
    private static double parse(String v) {
        return switch (v) {
            case "nan" -> Double.NaN;
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v);
        };
    }

    private static Map<String, Entry> load() {
        Map<String, Entry> map = new HashMap<>();
        var in = Reference.class.getResourceAsStream("torch.txt");
        if (in == null) throw new IllegalStateException("org/tessera/conformance/torch.txt is missing from tessera-core's jar");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] parts = line.trim().split(" ");
                int[] shape = parts[1].equals("scalar") ? new int[0]
                        : java.util.Arrays.stream(parts[1].split(",")).mapToInt(Integer::parseInt).toArray();
                double[] values = new double[parts.length - 2];
                for (int i = 0; i < values.length; i++) values[i] = parse(parts[i + 2]);
                map.put(parts[0], new Entry(shape, values));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return map;
    }
}
