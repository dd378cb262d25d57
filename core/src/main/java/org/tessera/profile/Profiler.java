package org.tessera.profile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where time goes, per device and per op or kernel. Off by default; on with the environment variable
 * {@code TESSERA_PROFILE=1} (or {@code -Dtessera.profile=true}), which also logs the top entries at exit, or
 * with {@link #enable()}. Synchronous backends (the CPU) are timed around each primitive call (wall time);
 * asynchronous ones (OpenCL) time their kernels on the device (event timestamps) and hand them over through a
 * {@link Source} when a report is made. Thread-safe; recording costs two clock reads per call while on.
 */
public final class Profiler {
    private static final Logger LOG = LoggerFactory.getLogger(Profiler.class);
    private static volatile boolean enabled = "1".equals(System.getenv("TESSERA_PROFILE")) || Boolean.getBoolean("tessera.profile");
    private static final Map<String, Stat> STATS = new ConcurrentHashMap<>();
    private static final List<Source> SOURCES = new CopyOnWriteArrayList<>();

    static {
        if (enabled) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> LOG.info("profile (TESSERA_PROFILE=1):\n{}", report(25)), "tessera-profile"));
        }
    }

    private Profiler() {}

    /** A backend whose timings arrive late (device event timestamps): {@link #flush} records them. */
    public interface Source {
        void flush();
    }

    /** One row: a device, an op or kernel, how often it ran and for how long in all. */
    public record Entry(String device, String name, long calls, long nanos) {
        public double millis() {
            return nanos / 1e6;
        }
    }

    private static final class Stat {
        final LongAdder calls = new LongAdder(), nanos = new LongAdder();
    }

    public static boolean enabled() {
        return enabled;
    }

    /** Turns recording on (OpenCL devices opened afterwards time their kernels on the device). */
    public static void enable() {
        enabled = true;
    }

    public static void disable() {
        enabled = false;
    }

    public static void register(Source s) {
        SOURCES.add(s);
    }

    public static void record(String device, String name, long nanos) {
        Stat s = STATS.computeIfAbsent(device + "\u0000" + name, k -> new Stat());
        s.calls.increment();
        s.nanos.add(nanos);
    }

    /** Every entry so far, longest total first (pending device timings are collected first). */
    public static List<Entry> snapshot() {
        SOURCES.forEach(Source::flush);
        List<Entry> out = new ArrayList<>();
        STATS.forEach((k, s) -> {
            int cut = k.indexOf('\u0000');
            out.add(new Entry(k.substring(0, cut), k.substring(cut + 1), s.calls.sum(), s.nanos.sum()));
        });
        out.sort(Comparator.comparingLong(Entry::nanos).reversed());
        return out;
    }

    public static void reset() {
        SOURCES.forEach(Source::flush);
        STATS.clear();
    }

    /** The top {@code n} entries as a text table with each one's share of the total. */
    public static String report(int n) {
        List<Entry> all = snapshot();
        long total = all.stream().mapToLong(Entry::nanos).sum();
        StringBuilder s = new StringBuilder(String.format("%-10s %-34s %10s %12s %10s %7s%n", "device", "op / kernel", "calls", "total ms",
                "us/call", "share"));
        for (Entry e : all.subList(0, Math.min(n, all.size()))) {
            s.append(String.format("%-10s %-34s %10d %12.3f %10.2f %6.1f%%%n", e.device(), e.name(), e.calls(), e.millis(),
                    e.nanos() / 1e3 / Math.max(1, e.calls()), 100.0 * e.nanos() / Math.max(1, total)));
        }
        return s.toString();
    }
}
