package org.tessera.opencl;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.TesseraException;
import org.tessera.backend.Backend;
import org.tessera.backend.BackendProvider;

/** Registers the OpenCL backend: {@code "opencl"} is the first GPU (else the first device), {@code "opencl:N"} device N. */
public final class OpenClProvider implements BackendProvider {
    private static final Logger LOG = LoggerFactory.getLogger(OpenClProvider.class);
    private static final Map<Integer, OpenClBackend> BACKENDS = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public int order() {
        return 10;
    }

    @Override
    public String unavailableReason() {
        return OpenClRuntime.unavailableReason();
    }

    @Override
    public List<String> deviceSpecs() {
        return OpenClRuntime.devices().stream().map(d -> "opencl:" + d.index()).collect(Collectors.toList());
    }

    @Override
    public boolean isGpu(String spec) {
        return device(spec.substring(spec.indexOf(':') + 1)).gpu();
    }

    @Override
    public String canonicalSpec(String argument) {
        return "opencl:" + device(argument).index();
    }

    @Override
    public Backend open(String argument) {
        ClDevice d = device(argument);
        return BACKENDS.computeIfAbsent(d.index(), i -> new OpenClBackend(d));
    }

    private ClDevice device(String argument) {
        List<ClDevice> all = OpenClRuntime.devices();
        if (argument == null) {
            ClDevice chosen = all.stream().filter(ClDevice::gpu).findFirst().orElse(all.get(0));
            LOG.info("opencl: using {} ({})", chosen.describe(), chosen.gpu() ? "the first GPU" : "no GPU present: the first device");
            return chosen;
        }
        int index;
        try {
            index = Integer.parseInt(argument);
        } catch (NumberFormatException e) {
            index = -1;
        }
        if (index < 0 || index >= all.size()) {
            throw new TesseraException("no OpenCL device 'opencl:" + argument + "'; devices: "
                    + all.stream().map(ClDevice::describe).collect(Collectors.joining("; ")));
        }
        return all.get(index);
    }
}
