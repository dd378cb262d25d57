package org.tessera.cli;

import java.util.concurrent.Callable;
import org.tessera.Device;
import org.tessera.backend.DeviceInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tessera devices}: every usable device, CPU first, and which one {@code auto} picks. */
@Command(name = "devices", mixinStandardHelpOptions = true, description = "List the devices Tessera can use.")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Table t = new Table("device", "backend", "name", "type", "units", "memory", "fp64");
        for (Device d : Device.available()) {
            DeviceInfo i = d.info();
            t.row(d.spec(), d.backend(), d.name(), i.type(), i.computeUnits(), (i.memoryBytes() >> 20) + " MiB", i.fp64() ? "yes" : "no");
        }
        t.print(spec.commandLine().getOut());
        spec.commandLine().getOut().println("auto (Device.best()): " + Device.best().spec());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
