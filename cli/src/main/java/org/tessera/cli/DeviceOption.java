package org.tessera.cli;

import org.tessera.Device;

/** The commands' {@code --device} value: {@code auto} is {@link Device#best()}, anything else a device spec. */
final class DeviceOption {
    private DeviceOption() {}

    static Device resolve(String spec) {
        return "auto".equals(spec) ? Device.best() : Device.of(spec);
    }
}
