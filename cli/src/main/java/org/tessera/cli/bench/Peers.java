package org.tessera.cli.bench;

import static org.jocl.CL.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.blast.CLBlast;
import org.jocl.blast.CLBlastLayout;
import org.jocl.blast.CLBlastTranspose;
import org.jocl.cl_mem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * The peers measured in the same run: PyTorch (CPU) and NumPy/OpenBLAS through bench/peers/peer.py under
 * /usr/bin/python3, and CLBlast (SGEMM) inside this JVM on the first OpenCL device. A peer that is not installed
 * is reported as missing with the reason, never estimated.
 */
public final class Peers {
    private static final Logger LOG = LoggerFactory.getLogger(Peers.class);

    /** A peer's timing of one case, or why there is none. */
    public record Result(String peer, Harness.Timing timing, String missing) {}

    private Peers() {}

    /** Runs a Python peer ("torch" or "numpy") over the cases; results by case key. */
    public static Map<String, Result> python(String lib, Path script, List<BenchCase> cases, boolean full, int threads) {
        Map<String, Result> out = new LinkedHashMap<>();
        String peer = lib.equals("torch") ? "pytorch" : "numpy";
        Path python = Path.of("/usr/bin/python3");
        String why = !Files.isRegularFile(script) ? "no peer script at " + script
                : !Files.isExecutable(python) ? "no /usr/bin/python3" : null;
        if (why == null) {
            try {
                Path list = Files.createTempFile("tessera-bench", ".cases");
                List<String> lines = new ArrayList<>();
                for (BenchCase c : cases) lines.add(c.key() + "\t" + c.peerSpec());
                Files.write(list, lines);
                ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), lib, list.toString(), full ? "full" : "quick");
                pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
                pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");            // PyTorch's fastest setting here
                pb.environment().remove("OPENBLAS_CORETYPE");                  // a machine-wide pin slows OpenBLAS here
                pb.environment().remove("OPENBLAS_L2_SIZE");
                pb.redirectErrorStream(false);
                Process p = pb.start();
                String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    why = "peer.py " + lib + " failed: " + stderr.lines().reduce((a, b) -> b).orElse("exit " + p.exitValue());
                } else {
                    for (String line : stdout.split("\n")) {
                        String[] f = line.split("\t");
                        if (f.length < 3) continue;
                        if (f[1].equals("missing")) out.put(f[0], new Result(peer, null, f[2]));
                        else out.put(f[0], new Result(peer, new Harness.Timing(Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                                Double.parseDouble(f[3]), 0, 0), null));
                    }
                }
                Files.deleteIfExists(list);
            } catch (IOException e) {
                why = "could not run peer.py: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                why = "interrupted";
            }
        }
        for (BenchCase c : cases) {
            if (!out.containsKey(c.key())) out.put(c.key(), new Result(peer, null, why != null ? why : "no result"));
        }
        if (why != null) LOG.warn("peer {} missing: {}", peer, why);
        return out;
    }

    /** CLBlast's SGEMM for the GEMM cases, on the first OpenCL device; other cases are missing. */
    public static Map<String, Result> clblast(List<BenchCase> cases, Harness harness) {
        Map<String, Result> out = new LinkedHashMap<>();
        try (ClPeer peer = new ClPeer()) {
            CLBlast.setExceptionsEnabled(true);
            for (BenchCase c : cases) {
                if (!c.peerSpec().startsWith("gemm ")) {
                    out.put(c.key(), new Result("clblast", null, "CLBlast is a BLAS: GEMM only"));
                    continue;
                }
                String[] f = c.peerSpec().split(" ");
                int m = Integer.parseInt(f[1]), k = Integer.parseInt(f[2]), n = Integer.parseInt(f[3]);
                cl_mem a = buffer(peer, m, k, 1), b = buffer(peer, k, n, 2), o = buffer(peer, m, n, 3);
                BenchCase.Body body = () -> {
                    CLBlast.CLBlastSgemm(CLBlastLayout.CLBlastLayoutRowMajor, CLBlastTranspose.CLBlastTransposeNo,
                            CLBlastTranspose.CLBlastTransposeNo, m, n, k, 1f, a, 0, k, b, 0, n, 0f, o, 0, n, peer.queue, null);
                    clFinish(peer.queue);
                };
                out.put(c.key(), new Result("clblast", harness.time(body, Device.cpu()), null));
                clReleaseMemObject(a);
                clReleaseMemObject(b);
                clReleaseMemObject(o);
            }
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            for (BenchCase c : cases) out.putIfAbsent(c.key(), new Result("clblast", null, "CLBlast unavailable: " + e.getMessage()));
        }
        return out;
    }

    private static cl_mem buffer(ClPeer peer, int rows, int cols, long seed) {
        float[] host = Tensor.rand(Device.cpu(), new Rng(seed), rows, cols).toFloatArray();
        return clCreateBuffer(peer.context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, (long) host.length * Sizeof.cl_float, Pointer.to(host), null);
    }
}
