package org.tessera;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.tessera.backend.Backend;
import org.tessera.backend.BackendProvider;

/**
 * A place where tensors live and ops run: {@code "cpu"}, {@code "cpu:2"} (2 worker threads),
 * {@code "opencl"}, {@code "opencl:1"}. Backends are discovered with {@link ServiceLoader}, so a device is
 * usable exactly when its backend's jar is on the class path and its runtime is present.
 * Devices are interned: {@code Device.of("cpu") == Device.of("cpu")}.
 */
public final class Device {

    private static final Map<String, Device> DEVICES = new ConcurrentHashMap<>();
    private static volatile List<BackendProvider> providers;
    private static volatile Device defaultDevice;

    private final String spec;
    private final BackendProvider provider;
    private final String argument;
    private volatile Backend backend;

    private Device(String spec, BackendProvider provider, String argument) {
        this.spec = spec;
        this.provider = provider;
        this.argument = argument;
    }

    /**
     * The device for a spec such as "cpu", "cpu:2", "opencl", "opencl:1".
     *
     * @throws TesseraException when the backend is not on the class path or unusable, or the device does
     *     not exist; the message lists what is available
     */
    public static Device of(String spec) {
        if (spec == null) throw new IllegalArgumentException("device spec is null");
        String key = spec.trim().toLowerCase(Locale.ROOT);
        Device known = DEVICES.get(key);
        if (known != null) return known;
        int colon = key.indexOf(':');
        String name = colon < 0 ? key : key.substring(0, colon);
        String argument = colon < 0 ? null : key.substring(colon + 1);
        BackendProvider provider = providers().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new TesseraException("unknown device '" + spec + "': no backend named '" + name
                        + "' is on the class path; available devices: " + describeAvailable(null)));
        String reason = provider.unavailableReason();
        if (reason != null) {
            throw new TesseraException("device '" + spec + "' is not usable: " + reason
                    + "; available devices: " + describeAvailable(provider));
        }
        String canonical = provider.canonicalSpec(argument);
        if (!canonical.equals(key)) {
            Device same = of(canonical);                 // one Device per physical device
            DEVICES.putIfAbsent(key, same);
            return same;
        }
        Device device = new Device(key, provider, argument);
        // fails here, once, for a device that does not exist; F16/BF16 ops are staged through F32 (HalfStaging)
        Backend opened = new org.tessera.backend.HalfStaging(provider.open(argument));
        // synchronous backends are timed around each call by the profiler (a flag check when it is off)
        device.backend = opened.asynchronous() ? opened : new org.tessera.profile.ProfilingBackend(key, opened);
        Device raced = DEVICES.putIfAbsent(key, device);
        return raced != null ? raced : device;
    }

    /** The multithreaded CPU backend on all cores. */
    public static Device cpu() {
        return of("cpu");
    }

    /** The default OpenCL device: the first GPU, else the first device of any type. */
    public static Device opencl() {
        return of("opencl");
    }

    /** Every usable device, CPU first. */
    public static List<Device> available() {
        List<Device> out = new ArrayList<>();
        for (BackendProvider p : providers()) {
            if (p.unavailableReason() != null) continue;
            for (String s : p.deviceSpecs()) out.add(of(s));
        }
        return out;
    }

    /** An OpenCL (or other) GPU if one is present, else the CPU. */
    public static Device best() {
        for (BackendProvider p : providers()) {
            if (p.unavailableReason() != null) continue;
            for (String s : p.deviceSpecs()) {
                if (p.isGpu(s)) return of(s);
            }
        }
        return cpu();
    }

    public static void setDefault(Device d) {
        if (d == null) throw new IllegalArgumentException("default device is null");
        defaultDevice = d;
    }

    /** The device tensors are created on when none is given; starts as {@link #cpu()}. */
    public static Device getDefault() {
        Device d = defaultDevice;
        if (d == null) {
            synchronized (Device.class) {
                if (defaultDevice == null) defaultDevice = cpu();
                d = defaultDevice;
            }
        }
        return d;
    }

    /** The device's own name, e.g. "pthread-haswell-AMD EPYC" or "CPU (2 threads)". */
    public String name() {
        return backend.deviceName();
    }

    /** One line about the device: its name and, where the backend knows them, type, compute units, memory, fp64. */
    public String description() {
        return spec + ": " + backend.description();
    }

    /** The backend's name: "cpu" or "opencl". */
    public String backend() {
        return provider.name();
    }

    /** The spec this device was opened with, canonical (lower case). */
    public String spec() {
        return spec;
    }

    /** Type, parallel units, memory and fp64 support, e.g. for a table of devices. */
    public org.tessera.backend.DeviceInfo info() {
        return implementation().info();
    }

    /** This device's memory counters: live buffers and bytes, pooled bytes. */
    public org.tessera.backend.MemoryStats memory() {
        return implementation().memory();
    }

    /** Starts a new peak for {@link org.tessera.backend.MemoryStats#peakLiveBytes()}. */
    public void resetPeakMemory() {
        implementation().resetPeakMemory();
    }

    /** Waits for every op queued on this device (for timing; reading a tensor waits by itself). */
    public void synchronize() {
        backend.synchronize();
    }

    /** The backend instance that runs this device's kernels (for op implementers; users need not touch it). */
    public Backend implementation() {
        return backend;
    }

    @Override
    public String toString() {
        return spec;
    }

    private static List<BackendProvider> providers() {
        List<BackendProvider> ps = providers;
        if (ps == null) {
            synchronized (Device.class) {
                if (providers == null) {
                    List<BackendProvider> found = new ArrayList<>();
                    ServiceLoader.load(BackendProvider.class, Device.class.getClassLoader()).forEach(found::add);
                    found.sort(Comparator.comparingInt(BackendProvider::order).thenComparing(BackendProvider::name));
                    providers = List.copyOf(found);
                }
                ps = providers;
            }
        }
        return ps;
    }

    /** Every backend's devices, or why it is unusable; {@code except} (already explained) is left out. */
    private static String describeAvailable(BackendProvider except) {
        List<String> parts = new ArrayList<>();
        for (BackendProvider p : providers()) {
            if (p == except) continue;
            String reason = p.unavailableReason();
            if (reason == null) parts.add(String.join(", ", p.deviceSpecs()));
            else parts.add(p.name() + " (unavailable: " + reason + ")");
        }
        if (parts.isEmpty()) {
            return "none (no backend on the class path: add tessera-backend-cpu or tessera-backend-opencl)";
        }
        return parts.stream().collect(Collectors.joining("; "));
    }
}
