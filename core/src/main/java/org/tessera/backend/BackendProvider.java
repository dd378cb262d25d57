package org.tessera.backend;

import java.util.List;

/**
 * Entry point of a backend, found with {@link java.util.ServiceLoader}: list it in
 * {@code META-INF/services/org.tessera.backend.BackendProvider}. Core never imports a backend class.
 */
public interface BackendProvider {

    /** The backend's name as used in device specs: "cpu", "opencl". */
    String name();

    /** Lower sorts first in {@code Device.available()} (the CPU backend is 0). */
    default int order() {
        return 100;
    }

    /** Null when usable; otherwise why not (which library failed to load, which package provides it). */
    String unavailableReason();

    /** Device specs this backend offers now, canonical form: {@code "cpu"}, {@code "opencl:0"}, ... */
    List<String> deviceSpecs();

    /**
     * The canonical spec of the device an argument names, so that two specs for one device ("opencl" and
     * "opencl:0") give the same {@code Device}. By default the spec as written.
     */
    default String canonicalSpec(String argument) {
        return argument == null ? name() : name() + ":" + argument;
    }

    /** Whether a device spec names a GPU (used by {@code Device.best()}). */
    default boolean isGpu(String spec) {
        return false;
    }

    /**
     * Opens the device named by {@code argument}, the part of the spec after the colon (null when absent):
     * threads for "cpu:N", an index for "opencl:N". Called once per distinct spec; the result is cached.
     *
     * @throws org.tessera.TesseraException when no such device exists, saying which do
     */
    Backend open(String argument);
}
