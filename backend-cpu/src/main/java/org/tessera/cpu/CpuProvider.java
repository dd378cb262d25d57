package org.tessera.cpu;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.tessera.TesseraException;
import org.tessera.backend.Backend;
import org.tessera.backend.BackendProvider;

/** Registers the CPU backend: {@code "cpu"} uses every core, {@code "cpu:N"} N worker threads. */
public final class CpuProvider implements BackendProvider {
    private static final Map<Integer, CpuBackend> BACKENDS = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int order() {
        return 0;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public List<String> deviceSpecs() {
        return List.of("cpu");
    }

    @Override
    public Backend open(String argument) {
        int threads = Runtime.getRuntime().availableProcessors();
        if (argument != null) {
            try {
                threads = Integer.parseInt(argument);
            } catch (NumberFormatException e) {
                threads = -1;
            }
            if (threads < 1) {
                throw new TesseraException("invalid CPU device 'cpu:" + argument + "': the number after 'cpu:' is the worker "
                        + "thread count, a positive integer (this machine has " + Runtime.getRuntime().availableProcessors() + " cores)");
            }
        }
        return BACKENDS.computeIfAbsent(threads, CpuBackend::new);
    }
}
