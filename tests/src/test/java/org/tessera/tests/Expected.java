package org.tessera.tests;

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

/** Reference values computed by PyTorch (float64) with {@code tests/src/test/python/make_expected.py}. */
public final class Expected {
    public record Entry(int[] shape, double[] values) {}

    private static final Map<String, Entry> ENTRIES = load();

    private Expected() {}

    public static Entry get(String key) {
        Entry e = ENTRIES.get(key);
        if (e == null) throw new IllegalArgumentException("no reference value '" + key + "' in expected/torch.txt; rerun make_expected.py");
        return e;
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
        var in = Expected.class.getResourceAsStream("/expected/torch.txt");
        if (in == null) throw new IllegalStateException("expected/torch.txt is missing from the test resources");
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
