package org.tessera.cpu;

import org.tessera.DType;
import org.tessera.backend.Strided;

/**
 * Compares GEMM block sizes in one JVM: one {@link Gemm} per (KC, MC) pair, all on the same two-thread pool, timed in
 * interleaved rounds so that the shared machine's swings hit every candidate alike (separate JVMs per candidate
 * differed by more than the candidates did). Prints the median GFLOP/s of rounds 3..12 per shape and candidate.
 * Not a test: run it by hand after a kernel change, then set {@link Gemm#KC} and {@link Gemm#MC}.
 * <pre>
 *   ./mvnw -q -o install -DskipTests
 *   java --add-modules jdk.incubator.vector -cp cli/target/tessera.jar:backend-cpu/target/test-classes \
 *       org.tessera.cpu.GemmBlockSweep 1024x1024x1024,1000x784x200xT 256:128 512:120 12x2:1024:120
 * </pre>
 * Shapes are MxKxN (a trailing xT: B stored transposed, as a Linear layer's weight; a leading T: A stored transposed,
 * as in a weight gradient); then candidates KC:MC, or KERNEL:KC:MC to compare micro-kernels (8x2, 12x2, 4x2).
 * {@code -Dthreads=1} for one thread, {@code -Drounds=N}.
 */
public final class GemmBlockSweep {
    private GemmBlockSweep() {}

    private static Strided matrix(int rows, int cols) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (i % 13) * 0.1f;
        return new Strided(new CpuBuffer(DType.F32, d, d.length), new int[] {1, rows, cols}, new int[] {0, cols, 1}, 0);
    }

    private static MicroKernel kernel(String name) {
        try {
            return (MicroKernel) Class.forName("org.tessera.cpu.SimdKernel" + name).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("no kernel SimdKernel" + name, e);
        }
    }

    public static void main(String[] args) {
        if (args.length < 2) throw new IllegalArgumentException("usage: SHAPES [KERNEL:]KC:MC ...");
        Parallel pool = new Parallel(Integer.getInteger("threads", 2));
        int candidates = args.length - 1, rounds = Integer.getInteger("rounds", 12);
        Gemm[] gemm = new Gemm[candidates];
        for (int i = 0; i < candidates; i++) {
            String[] c = args[1 + i].split(":");
            MicroKernel kernel = c.length == 3 ? kernel(c[0]) : SimdSupport.kernel();
            gemm[i] = new Gemm(pool, kernel, Integer.parseInt(c[c.length - 2]), Integer.parseInt(c[c.length - 1]));
        }
        for (String shape : args[0].split(",")) {
            boolean transA = shape.startsWith("T");
            String[] p = shape.substring(transA ? 1 : 0).split("x");
            int m = Integer.parseInt(p[0]), k = Integer.parseInt(p[1]), n = Integer.parseInt(p[2]);
            boolean transB = p.length > 3;
            Strided a = transA ? matrix(k, m) : matrix(m, k), b = transB ? matrix(n, k) : matrix(k, n), c = matrix(m, n);
            double flop = 2.0 * m * n * k;
            int reps = (int) Math.max(3, 2e8 / flop);
            double[][] rate = new double[candidates][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < candidates; i++) {
                    long t0 = System.nanoTime();
                    for (int q = 0; q < reps; q++) gemm[i].matmul(a, transA, b, transB, c, 1, 0);
                    rate[i][r] = flop * reps / (System.nanoTime() - t0);
                }
            }
            StringBuilder line = new StringBuilder(shape).append(':');
            for (int i = 0; i < candidates; i++) {
                double[] v = rate[i].clone();
                java.util.Arrays.sort(v, 2, rounds);          // rounds 1-2 are JIT warm-up
                line.append(String.format(" %s: %.0f GFLOP/s;", args[1 + i], v[2 + (rounds - 2) / 2]));
            }
            System.out.println(line);
        }
    }
}
