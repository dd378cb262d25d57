package org.tessera.opencl;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tuning winners on disk, one small properties file per (device, driver version, gemm.cl source hash, shape
 * class), beside the program cache ({@code <cache>/tune}). Same rules as {@link ProgramCache}: atomic writes, and
 * an entry that cannot be read is reported with a WARN and tuned again (then overwritten). A change of kernel
 * source or driver changes the key, so stale winners are never used.
 */
final class TuneCache {
    private static final Logger LOG = LoggerFactory.getLogger(TuneCache.class);
    /** Bump when the file's meaning changes. */
    static final int FORMAT_VERSION = 1;

    /** A stored winner: its configuration and what it measured when it won. */
    record Entry(GemmConfig config, double gflops, String shape) {}

    private final Path dir;
    private final ClDevice device;
    private final String sourceHash;

    TuneCache(ClDevice device, String gemmSource) {
        Path base = ProgramCache.directory();
        this.dir = base == null ? null : base.resolve("tune");
        this.device = device;
        this.sourceHash = ProgramCache.sha256(gemmSource);
    }

    Path file(GemmClass c) {
        if (dir == null) return null;
        String key = String.join("\0", device.name(), device.platformName(), device.driverVersion(), sourceHash, c.toString(),
                Integer.toString(FORMAT_VERSION));
        return dir.resolve("gemm-" + c.toString().replace(' ', '-').replace("^", "") + "-" + ProgramCache.sha256(key).substring(0, 24)
                + ".properties");
    }

    /** The stored winner of this class, or null when there is none (or it is unreadable: a WARN says so). */
    Entry load(GemmClass c) {
        Path f = file(c);
        if (f == null || !Files.isRegularFile(f)) return null;
        try {
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
            String config = p.getProperty("config");
            if (config == null) throw new IllegalArgumentException("no config= line");
            return new Entry(GemmConfig.parse(config), Double.parseDouble(p.getProperty("gflops", "NaN")), p.getProperty("shape", "?"));
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("GEMM tuning cache entry {} is unusable ({}); tuning {} again", f, e.getMessage(), c);
            return null;
        }
    }

    void store(GemmClass c, Entry e) {
        Path f = file(c);
        if (f == null) return;
        String text = String.format(Locale.ROOT, "# tessera GEMM tuning winner for %s on %s (%s, driver %s)%nconfig=%s%ngflops=%.3f%nshape=%s%n",
                c, device.name(), device.platformName(), device.driverVersion(), e.config(), e.gflops(), e.shape());
        try {
            ProgramCache.writeAtomically(f, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ex) {
            LOG.warn("could not store the GEMM tuning cache entry {}: {}", f, ex.toString());
        }
    }
}
