package org.tessera.cpu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the Vector API micro-kernel when the JVM has {@code jdk.incubator.vector} (started with
 * {@code --add-modules jdk.incubator.vector}) and the portable one otherwise; {@code -Dtessera.simd=off}
 * forces the portable one (to compare them). Nothing in Tessera requires the flag.
 *
 * <p>All Vector API code here makes FloatVectors of one shape, the preferred one (and LongVectors only in SimdPhilox):
 * 256-bit FloatVectors from a lane conversion, passing through the same FloatVector methods (mul, intoArray) as the
 * kernels' 512-bit ones, made those call sites polymorphic in C2's profiles, C2 then compiled the kernels without
 * the vector intrinsics, and the GEMM ran at 136 instead of 196 GFLOP/s.
 */
final class SimdSupport {
    private static final Logger LOG = LoggerFactory.getLogger(SimdSupport.class);
    static {
        JitDirectives.install();   // before any Vector API class of ours loads: in place for the first compile
    }

    /** The kernel every product can use from the first call: it compiles at every JIT tier. */
    private static final MicroKernel KERNEL = choose();
    /** The kernel products use now: KERNEL, until {@link KernelPromotion} measured {@link #candidate()} faster. */
    private static volatile MicroKernel current = KERNEL;
    private static final FastElementwise ELEMENTWISE = KERNEL instanceof ScalarMicroKernel ? FastElementwise.NONE : load("SimdElementwise", FastElementwise.NONE);
    private static final RowKernels ROWS = KERNEL instanceof ScalarMicroKernel ? new ScalarRows() : load("SimdRows", new ScalarRows());
    /** Philox in 64-bit lanes needs eight of them (512-bit vectors: AVX-512's 64-bit multiply); else the scalar rounds. */
    private static final UniformSource UNIFORMS = KERNEL instanceof ScalarMicroKernel || KERNEL.nr() < 32
            ? UniformSource.PORTABLE : load("SimdPhilox", UniformSource.PORTABLE);

    private SimdSupport() {}

    static boolean available() {
        return !(KERNEL instanceof ScalarMicroKernel);
    }

    /** The GEMM micro-kernel for a product starting now. */
    static MicroKernel kernel() {
        return current;
    }

    /**
     * A faster kernel that only C2 can compile, to be promoted once it runs faster than {@link #kernel()}: the 12 x 2
     * one where vectors are 512 bits and no kernel was forced; else null.
     */
    static MicroKernel candidate() {
        if (KERNEL instanceof ScalarMicroKernel || KERNEL.nr() < 32 || System.getProperty("tessera.gemm.kernel") != null) return null;
        return load("SimdKernel12x2", null);
    }

    /** From the next product on, {@code kernel} multiplies. */
    static void promote(MicroKernel kernel) {
        current = kernel;
    }

    static FastElementwise elementwise() {
        return ELEMENTWISE;
    }

    static RowKernels rows() {
        return ROWS;
    }

    static UniformSource uniforms() {
        return UNIFORMS;
    }

    private static <T> T load(String simpleName, T fallback) {
        try {
            @SuppressWarnings("unchecked")
            T t = (T) Class.forName("org.tessera.cpu." + simpleName).getDeclaredConstructor().newInstance();
            return t;
        } catch (ReflectiveOperationException | LinkageError e) {
            if (fallback != null) LOG.warn("the Vector API {} failed to load ({}); using the portable one", simpleName, e.toString());
            else LOG.debug("{} failed to load ({})", simpleName, e.toString());
            return fallback;
        }
    }

    /**
     * The Vector API kernel for this machine: 8 x 2 vectors where the preferred vectors are 512 bits (AVX-512, 32
     * registers), else 4 x 2 (16 registers: 12 accumulators spilled). {@code -Dtessera.gemm.kernel=4x2|8x2|12x2} forces
     * one from the first product on (with no promotion).
     */
    private static String simdKernelName() throws ReflectiveOperationException {
        String forced = System.getProperty("tessera.gemm.kernel");
        if (forced != null) return "SimdKernel" + forced;
        MicroKernel wide = (MicroKernel) Class.forName("org.tessera.cpu.SimdKernel8x2").getDeclaredConstructor().newInstance();
        return wide.nr() >= 32 ? "SimdKernel8x2" : "SimdKernel4x2";     // NR = 2 vectors of 16 floats: 512-bit
    }

    private static MicroKernel choose() {
        if ("off".equalsIgnoreCase(System.getProperty("tessera.simd"))) return new ScalarMicroKernel();
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            LOG.debug("jdk.incubator.vector is not in the boot layer; using the portable GEMM kernel");
            return new ScalarMicroKernel();
        }
        try {
            MicroKernel k = (MicroKernel) Class.forName("org.tessera.cpu." + simdKernelName()).getDeclaredConstructor().newInstance();
            LOG.debug("using the Vector API GEMM kernel ({}x{})", k.mr(), k.nr());
            return k;
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("the Vector API GEMM kernel failed to load ({}); using the portable kernel", e.toString());
            return new ScalarMicroKernel();
        }
    }
}
