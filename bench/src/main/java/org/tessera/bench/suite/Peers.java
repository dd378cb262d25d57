package org.tessera.bench.suite;

import static org.jocl.CL.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /**
     * A Python peer ("torch" or "numpy") kept running, timing one case whenever asked: the command times each case
     * on the CPU and then at once in each peer, so both measure the same minute of a shared, noisy machine (a
     * separate pass after all of Tessera's cases saw ratios drift by 2x between runs).
     */
    public static final class Python implements AutoCloseable {
        private final String peer;
        private final Process process;
        private final java.io.BufferedWriter in;
        private final java.io.BufferedReader out;
        private String missing;

        public Python(String lib, Path script, boolean full, int threads) {
            this.peer = lib.equals("torch") ? "pytorch" : "numpy";
            Path python = Path.of("/usr/bin/python3");
            Process p = null;
            if (!Files.isRegularFile(script)) missing = "no peer script at " + script;
            else if (!Files.isExecutable(python)) missing = "no /usr/bin/python3";
            else {
                try {
                    ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), lib, "-", full ? "full" : "quick");
                    pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
                    pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");            // PyTorch's fastest setting here
                    pb.environment().remove("OPENBLAS_CORETYPE");                  // a machine-wide pin slows OpenBLAS here
                    pb.environment().remove("OPENBLAS_L2_SIZE");
                    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
                    p = pb.start();
                } catch (IOException e) {
                    missing = "could not run peer.py: " + e.getMessage();
                }
            }
            this.process = p;
            this.in = p == null ? null : new java.io.BufferedWriter(new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
            this.out = p == null ? null : new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            if (missing != null) LOG.warn("peer {} missing: {}", peer, missing);
        }

        public String name() {
            return peer;
        }

        /** This peer's timing of one case, or why there is none. */
        public Result time(BenchCase c) {
            if (missing != null) return new Result(peer, null, missing);
            try {
                in.write(c.key() + "\t" + c.peerSpec() + "\n");
                in.flush();
                String line = out.readLine();
                if (line == null) {
                    missing = "peer.py " + peer + " stopped (exit " + process.waitFor() + ")";
                    return new Result(peer, null, missing);
                }
                String[] f = line.split("\t");
                if (f.length >= 3 && f[1].equals("missing")) return new Result(peer, null, f[2]);
                if (f.length < 4) return new Result(peer, null, "unreadable answer: " + line);
                return new Result(peer, new Harness.Timing(Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]), 0, 0), null);
            } catch (IOException e) {
                missing = "peer.py " + peer + ": " + e.getMessage();
                return new Result(peer, null, missing);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(peer, null, "interrupted");
            }
        }

        @Override
        public void close() {
            if (process == null) return;
            try {
                in.close();
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroy();
            } catch (IOException e) {
                process.destroy();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroy();
            }
        }
    }

    /** CLBlast's SGEMM for the GEMM cases, on OpenCL device {@code device} ("opencl:N"); other cases are missing. */
    public static Map<String, Result> clblast(List<BenchCase> cases, Harness harness, int device) {
        Map<String, Result> out = new LinkedHashMap<>();
        try (ClPeer peer = new ClPeer(device)) {
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
