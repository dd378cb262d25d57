package org.tessera.tests;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.tessera.DType;
import org.tessera.Device;

/**
 * The devices every conformance test runs on: all that {@link Device#available()} reports, or only those of
 * the backends named in {@code -Dtessera.test.backends=opencl} (the oclgrind run uses that).
 */
public final class Devices {
    private static final String BACKENDS = System.getProperty("tessera.test.backends", "");
    /** Largest edge size to test ({@code -Dtessera.test.maxSize}); oclgrind simulates every work-item, so it caps this. */
    public static final int MAX_SIZE = Integer.getInteger("tessera.test.maxSize", Integer.MAX_VALUE);

    /** Floating dtypes to test ({@code -Dtessera.test.dtypes=F32}; the oclgrind run skips F64, whose kernels share F32's indexing). */
    public static final List<DType> FLOAT_DTYPES = java.util.Arrays.stream(System.getProperty("tessera.test.dtypes", "F32,F64").split(","))
            .map(String::trim).map(DType::valueOf).toList();

    private Devices() {}

    public static Stream<Device> all() {
        return list().stream();
    }

    private static List<Device> list() {
        List<Device> out = new ArrayList<>();
        for (Device d : Device.available()) {
            if (BACKENDS.isEmpty() || List.of(BACKENDS.split(",")).contains(d.backend())) out.add(d);
        }
        return out;
    }

    /** Every device with each floating dtype: arguments (Device, DType). */
    public static List<Object[]> withFloatDtypes() {
        return crossedWith(FLOAT_DTYPES);
    }

    /** Every device with each of {@code cases}: arguments (Device, case). */
    public static List<Object[]> crossedWith(List<?> cases) {
        List<Object[]> out = new ArrayList<>();
        for (Device d : list()) for (Object c : cases) out.add(new Object[] {d, c});
        return out;
    }
}
