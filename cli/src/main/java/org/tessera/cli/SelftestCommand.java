package org.tessera.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.conformance.Conformance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tessera selftest}: the conformance cases (values and gradients against the PyTorch references shipped in the
 * jar) on one device, F32 and, where the device has it, F64; one line per failure, a count at the end, exit status 1
 * when anything failed. How a user checks their own GPU driver, and how a machine without Maven is checked.
 */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        description = "Check every op's values and gradients on a device against PyTorch's (shipped in the jar).")
final class SelftestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", defaultValue = "auto", description = "device to check (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--verbose", description = "print every case, not only failures")
    boolean verbose;

    @Override
    public Integer call() {
        Device d = DeviceOption.resolve(device);
        PrintWriter out = spec.commandLine().getOut();
        List<DType> dtypes = new ArrayList<>(List.of(DType.F32));
        if (d.info().fp64()) dtypes.add(DType.F64);
        out.printf("selftest on %s (%s): %d cases x %s%n", d.spec(), d.name(), Conformance.caseNames().size(), dtypes);
        out.flush();
        int[] counts = new int[3];   // passed, failed, comparisons
        java.util.Map<DType, int[]> byDType = new java.util.EnumMap<>(DType.class);   // the same, per dtype
        Conformance.run(d, dtypes, r -> {
            int[] mine = byDType.computeIfAbsent(r.dtype(), t -> new int[3]);
            if (r.passed()) {
                counts[0]++;
                counts[2] += r.checks();
                mine[0]++;
                mine[2] += r.checks();
                if (verbose) out.printf(Locale.ROOT, "  ok      %-3s %s (%d checks)%n", r.dtype(), r.name(), r.checks());
            } else {
                counts[1]++;
                mine[1]++;
                out.printf(Locale.ROOT, "  FAILED  %-3s %s: %s%n", r.dtype(), r.name(), r.failure());
            }
            out.flush();
        });
        for (var e : byDType.entrySet()) {
            out.printf("  %s: %d passed, %d failed, %d comparisons%n", e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2]);
        }
        out.printf("%d passed, %d failed (%d comparisons against PyTorch 1.13 and finite differences) on %s%n", counts[0], counts[1], counts[2], d.spec());
        out.flush();
        return counts[1] == 0 ? 0 : 1;
    }
}
