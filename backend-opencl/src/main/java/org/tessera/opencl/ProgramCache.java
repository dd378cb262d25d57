package org.tessera.opencl;

import static org.jocl.CL.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_program;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.TesseraException;

/**
 * Programs built once per context and kept (key: source hash, build options); built binaries are also
 * stored on disk (default {@code ~/.cache/tessera/opencl}, property {@code tessera.opencl.cache}; "off"
 * disables it), keyed additionally by device, driver version and {@link #FORMAT_VERSION}, so a second process
 * starts without compiling. Files are written to a temporary name and renamed, so concurrent processes never
 * see half a file; an entry that fails to load is rebuilt from source with a WARN and overwritten.
 */
final class ProgramCache {
    private static final Logger LOG = LoggerFactory.getLogger(ProgramCache.class);
    /** Bump when the on-disk layout or the meaning of a key changes. */
    static final int FORMAT_VERSION = 1;

    private final cl_context context;
    private final ClDevice device;
    private final Path dir;
    private final Map<String, Entry> built = new ConcurrentHashMap<>();
    /** Runs as each build starts: a test holds a build here to show that nothing else waits on it. */
    private volatile Runnable onBuild = () -> {};

    /**
     * One program, built at most once: threads that want it wait for its build, threads that want any other program do
     * not (a ConcurrentHashMap.computeIfAbsent around the build would hold the map's bin during a compile). A failed
     * build leaves it empty, so the next use tries again and reports again.
     */
    private static final class Entry {
        private cl_program program;

        synchronized cl_program get(java.util.function.Supplier<cl_program> build) {
            if (program == null) program = build.get();
            return program;
        }

        synchronized cl_program built() {
            return program;
        }
    }

    ProgramCache(cl_context context, ClDevice device) {
        this.context = context;
        this.device = device;
        this.dir = directory();
    }

    /** The built program for this source and these options (built or loaded on first use). */
    cl_program get(String name, String source, String options) {
        String key = sha256(source + "\0" + options);
        return built.computeIfAbsent(key, k -> new Entry()).get(() -> load(name, source, options, key));
    }

    void onBuild(Runnable hook) {
        onBuild = hook;
    }

    private cl_program load(String name, String source, String options, String key) {
        onBuild.run();
        long start = System.nanoTime();
        Path file = dir == null ? null : dir.resolve(name + "-" + sha256(key + "\0" + device.name() + "\0" + device.platformName()
                + "\0" + device.driverVersion() + "\0" + FORMAT_VERSION).substring(0, 32) + ".bin");
        if (file != null && Files.isRegularFile(file)) {
            try {
                cl_program p = fromBinary(Files.readAllBytes(file), options);
                LOG.debug("program {} loaded from {} in {} ms", name, file, (System.nanoTime() - start) / 1_000_000);
                return p;
            } catch (IOException | CLException e) {
                LOG.warn("cached OpenCL program {} is unusable ({}); rebuilding it from source", file, e.getMessage());
            }
        }
        cl_program p = fromSource(name, source, options);
        LOG.debug("program {} built from source in {} ms", name, (System.nanoTime() - start) / 1_000_000);
        if (file != null) store(file, binary(p));
        return p;
    }

    private cl_program fromSource(String name, String source, String options) {
        cl_program p = clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
        try {
            clBuildProgram(p, 1, new org.jocl.cl_device_id[] {device.id()}, options, null, null);
        } catch (CLException e) {
            String log = buildLog(p);
            clReleaseProgram(p);
            throw new TesseraException("OpenCL program '" + name + "' failed to build on " + device.name() + " ("
                    + e.getMessage() + ") with options [" + options + "]; build log:\n" + log, e);
        }
        return p;
    }

    private cl_program fromBinary(byte[] bytes, String options) {
        int[] status = new int[1];
        cl_program p = clCreateProgramWithBinary(context, 1, new org.jocl.cl_device_id[] {device.id()},
                new long[] {bytes.length}, new byte[][] {bytes}, status, null);
        try {
            clBuildProgram(p, 1, new org.jocl.cl_device_id[] {device.id()}, options, null, null);
        } catch (CLException e) {
            clReleaseProgram(p);
            throw e;
        }
        return p;
    }

    private byte[] binary(cl_program p) {
        long[] size = new long[1];
        clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null);
        byte[] bytes = new byte[(int) size[0]];
        clGetProgramInfo(p, CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(new Pointer[] {Pointer.to(bytes)}), null);
        return bytes;
    }

    private void store(Path file, byte[] bytes) {
        if (bytes.length == 0) return;
        try {
            writeAtomically(file, bytes);
        } catch (IOException e) {
            LOG.warn("could not store the OpenCL program cache entry {}: {}", file, e.toString());
        }
    }

    /** Writes to a temporary file beside {@code file} and renames it: readers in other processes never see half a file. */
    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The cache directory (property tessera.opencl.cache, default ~/.cache/tessera/opencl), or null when it is "off". */
    static Path directory() {
        String setting = System.getProperty("tessera.opencl.cache",
                Path.of(System.getProperty("user.home"), ".cache", "tessera", "opencl").toString());
        return "off".equalsIgnoreCase(setting) ? null : Path.of(setting);
    }

    private String buildLog(cl_program p) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(p, device.id(), CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] buf = new byte[(int) size[0]];
            clGetProgramBuildInfo(p, device.id(), CL_PROGRAM_BUILD_LOG, buf.length, Pointer.to(buf), null);
            return new String(buf, 0, Math.max(0, buf.length - 1), StandardCharsets.UTF_8);
        } catch (CLException e) {
            return "(no build log: " + e.getMessage() + ")";
        }
    }

    /** Releases the program of this source and these options, if built (its kernels must be released first). */
    void release(String source, String options) {
        Entry e = built.remove(sha256(source + "\0" + options));
        cl_program p = e == null ? null : e.built();
        if (p != null) clReleaseProgram(p);
    }

    void releaseAll() {
        for (Entry e : built.values()) {
            cl_program p = e.built();
            if (p != null) clReleaseProgram(p);
        }
        built.clear();
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
