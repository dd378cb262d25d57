package org.tessera.tests;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.tessera.DType;
import org.tessera.Device;

/** The devices every conformance test runs on: all that {@link Device#available()} reports. */
public final class Devices {
    private Devices() {}

    public static Stream<Device> all() {
        return Device.available().stream();
    }

    /** Every device with each floating dtype: arguments (Device, DType). */
    public static List<Object[]> withFloatDtypes() {
        return crossedWith(List.of(DType.F32, DType.F64));
    }

    /** Every device with each of {@code cases}: arguments (Device, case). */
    public static List<Object[]> crossedWith(List<?> cases) {
        List<Object[]> out = new ArrayList<>();
        for (Device d : Device.available()) for (Object c : cases) out.add(new Object[] {d, c});
        return out;
    }
}
