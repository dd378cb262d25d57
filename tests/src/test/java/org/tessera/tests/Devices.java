package org.tessera.tests;

import java.util.stream.Stream;
import org.tessera.Device;

/** The devices every conformance test runs on: all that {@link Device#available()} reports. */
public final class Devices {
    private Devices() {}

    public static Stream<Device> all() {
        return Device.available().stream();
    }
}
