package org.tessera.opencl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.tessera.DType;

/**
 * One member of gemm.cl's kernel family: the values of its defines, plus whether a transposed operand is read in
 * place ({@code TRANS_A}/{@code TRANS_B}) or first copied dense. The tuner ({@link GemmTuner}) searches these; the
 * text form ({@link #toString()}, {@link #parse}) is what the tuning cache stores and what {@code tessera tune}
 * prints.
 *
 * @param tm           rows of C per work-item
 * @param tn           columns of C per work-item (a multiple of vw)
 * @param wgM          work-items per group along m
 * @param wgN          work-items per group along n
 * @param vw           vector width of B and C accesses
 * @param localMem     stage K slices of A and B in local memory (GPU shape) rather than read global memory
 * @param kt           depth of a K slice (local memory only)
 * @param doubleBuffer two slices in local memory, the next loaded while the current is used (local memory only)
 * @param inPlace      read a transposed operand in place (else copy it dense first, then run the untransposed kernel)
 */
record GemmConfig(int tm, int tn, int wgM, int wgN, int vw, boolean localMem, int kt, boolean doubleBuffer, boolean inPlace) {

    /** Today's CPU-device choice before tuning existed: 8 x 16 per work-item from global memory, 8 x 8 groups. */
    static final GemmConfig CPU_DEFAULT = new GemmConfig(8, 16, 8, 8, 8, false, 16, false, false);
    /** A GPU starting point (CLBlast's common XgemmDirect shape): 64 x 64 tiles, 16 x 16 groups, 4 x 4 per work-item. */
    static final GemmConfig GPU_DEFAULT = new GemmConfig(4, 4, 16, 16, 4, true, 16, true, true);

    GemmConfig {
        if (tm < 1 || tn < 1 || wgM < 1 || wgN < 1 || kt < 1) throw new IllegalArgumentException("GEMM config sizes must be positive: " + describe(tm, tn, wgM, wgN, vw, localMem, kt, doubleBuffer, inPlace));
        if (vw != 1 && vw != 2 && vw != 4 && vw != 8 && vw != 16) throw new IllegalArgumentException("vector width must be 1, 2, 4, 8 or 16, got " + vw);
        if (tn % vw != 0) throw new IllegalArgumentException("tn (" + tn + ") must be a multiple of vw (" + vw + ")");
    }

    /**
     * The configuration property {@code tessera.opencl.gemm} forces for every GEMM (in {@link #toString()}'s form,
     * e.g. the one {@code tessera tune} printed), or null when it is unset: then each shape class is tuned.
     */
    static GemmConfig forced() {
        String v = System.getProperty("tessera.opencl.gemm");
        return v == null || v.isBlank() ? null : parse(v);
    }

    /** The default of the device's kind before any tuning: what {@code -Dtessera.opencl.tune=off} runs. */
    static GemmConfig defaultFor(ClDevice device) {
        return device.gpu() ? GPU_DEFAULT : CPU_DEFAULT;
    }

    /**
     * The default for one shape class: products too small to tune ({@link GemmClass#tuned()} false) read transposed
     * operands in place, since copying them costs more than the strided reads of so little work.
     */
    static GemmConfig defaultFor(ClDevice device, GemmClass c) {
        GemmConfig d = defaultFor(device);
        return c.tuned() ? d : d.withInPlace(true);
    }

    int tileM() {
        return wgM * tm;
    }

    int tileN() {
        return wgN * tn;
    }

    int workGroupSize() {
        return wgM * wgN;
    }

    /** Bytes of local memory one work-group of this configuration needs. */
    long localBytes(DType t) {
        return localMem ? (long) kt * (tileM() + tileN()) * t.byteSize() * (doubleBuffer ? 2 : 1) : 0;
    }

    /** Private values per work-item (the accumulators): a proxy for register pressure. */
    int accumulators() {
        return tm * tn;
    }

    /** Whether the device can run it: work-group size, local memory, a register budget that compilers can keep. */
    boolean fits(ClDevice.Limits limits, DType t) {
        return workGroupSize() <= limits.maxWorkGroupSize() && wgN <= limits.maxItemSizes()[0] && wgM <= limits.maxItemSizes()[1]
                && localBytes(t) <= limits.localMemory() && accumulators() <= 256;
    }

    /** defines() of each configuration seen, by transpose case: every GEMM launch needs its string. */
    private static final java.util.concurrent.ConcurrentHashMap<GemmConfig, String[]> DEFINES = new java.util.concurrent.ConcurrentHashMap<>();

    /** The -D options of gemm.cl for this configuration and these operand layouts (built once per configuration). */
    String defines(boolean transA, boolean transB) {
        String[] d = DEFINES.computeIfAbsent(this, c -> new String[] {c.format(false, false), c.format(true, false), c.format(false, true), c.format(true, true)});
        return d[(transA ? 1 : 0) + (transB ? 2 : 0)];
    }

    private String format(boolean transA, boolean transB) {
        return String.format(Locale.ROOT, " -DTM=%d -DTN=%d -DWG_M=%d -DWG_N=%d -DVW=%d -DLOCAL_MEM=%d -DKT=%d -DDOUBLE_BUFFER=%d -DTRANS_A=%d -DTRANS_B=%d",
                tm, tn, wgM, wgN, vw, localMem ? 1 : 0, kt, doubleBuffer ? 1 : 0, transA && inPlace ? 1 : 0, transB && inPlace ? 1 : 0);
    }

    @Override
    public String toString() {
        return describe(tm, tn, wgM, wgN, vw, localMem, kt, doubleBuffer, inPlace);
    }

    private static String describe(int tm, int tn, int wgM, int wgN, int vw, boolean localMem, int kt, boolean doubleBuffer, boolean inPlace) {
        return String.format(Locale.ROOT, "tm=%d tn=%d wg=%dx%d vw=%d local=%s kt=%d db=%s inplace=%s", tm, tn, wgM, wgN, vw,
                localMem ? "on" : "off", kt, doubleBuffer ? "on" : "off", inPlace ? "on" : "off");
    }

    /** Reads {@link #toString()}'s form back; throws IllegalArgumentException for anything else. */
    static GemmConfig parse(String s) {
        java.util.Map<String, String> kv = new java.util.HashMap<>();
        for (String part : s.trim().split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("not a GEMM config: '" + s + "'");
            kv.put(part.substring(0, eq), part.substring(eq + 1));
        }
        try {
            String[] wg = kv.get("wg").split("x");
            return new GemmConfig(Integer.parseInt(kv.get("tm")), Integer.parseInt(kv.get("tn")), Integer.parseInt(wg[0]),
                    Integer.parseInt(wg[1]), Integer.parseInt(kv.get("vw")), onOff(kv.get("local")), Integer.parseInt(kv.get("kt")),
                    onOff(kv.get("db")), onOff(kv.get("inplace")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a GEMM config: '" + s + "' (" + e.getMessage() + ")", e);
        }
    }

    private static boolean onOff(String v) {
        if ("on".equals(v)) return true;
        if ("off".equals(v)) return false;
        throw new IllegalArgumentException("expected on or off, got " + v);
    }

    // ---- the search space ----

    /**
     * The coarse grid: register-blocked shapes from global memory (the CPU family) and local-memory tiles (the GPU
     * family), each with the transposed operands read in place or copied. Ordered so the first entries are the
     * likeliest winners on the device's kind; a budget-cut search still tries them.
     */
    static List<GemmConfig> coarse(boolean gpu, boolean transposed) {
        List<GemmConfig> global = new ArrayList<>(), local = new ArrayList<>();
        for (int[] t : new int[][] {{8, 16}, {4, 16}, {8, 8}, {4, 8}}) {
            global.add(new GemmConfig(t[0], t[1], 8, 8, 8, false, 16, false, false));
        }
        // tm, tn, wgM, wgN, kt
        for (int[] t : new int[][] {{4, 4, 16, 16, 16}, {8, 8, 16, 16, 16}, {4, 8, 8, 16, 32}, {8, 4, 16, 16, 16}}) {
            local.add(new GemmConfig(t[0], t[1], t[2], t[3], 4, true, t[4], true, true));
        }
        List<GemmConfig> first = gpu ? local : global, second = gpu ? global : local;
        List<GemmConfig> out = new ArrayList<>();
        // two of the device's own kind, then one of the other: a short budget still sees both families
        for (int i = 0, j = 0; i < first.size() || j < second.size(); ) {
            for (int r = 0; r < 2 && i < first.size(); r++) out.add(first.get(i++));
            if (j < second.size()) out.add(second.get(j++));
        }
        if (transposed) {
            // the other way of handling the transposed operand, for the first few of each family
            List<GemmConfig> flipped = new ArrayList<>();
            for (int i = 0; i < Math.min(4, out.size()); i++) flipped.add(out.get(i).withInPlace(!out.get(i).inPlace));
            out.addAll(2, flipped);
        }
        return new ArrayList<>(new LinkedHashSet<>(out));
    }

    /**
     * Every configuration the tuner may pick, on any device: both defaults, the coarse grids of both kinds (with
     * the transposed operands read either way) and their one-step neighbours. Finite on purpose: GemmKernelsTest
     * checks each member against a naive product and the oclgrind run checks them for races and out-of-bounds
     * accesses, so no configuration reaches a user unchecked.
     */
    static Set<GemmConfig> searchSpace() {
        return SPACE;
    }

    /** The largest local-memory footprint (F32) in the search space. */
    static final long MAX_LOCAL_BYTES = 48 << 10;

    private static final Set<GemmConfig> SPACE = java.util.Collections.unmodifiableSet(enumerateSpace());

    private static Set<GemmConfig> enumerateSpace() {
        Set<GemmConfig> base = new LinkedHashSet<>(List.of(CPU_DEFAULT, GPU_DEFAULT));
        for (boolean gpu : new boolean[] {false, true}) base.addAll(coarse(gpu, true));
        Set<GemmConfig> all = new LinkedHashSet<>(base);
        for (GemmConfig c : base) all.addAll(c.neighbours());
        // what common GPUs can run: OpenCL reports 48 KiB of local memory on NVIDIA (64 on AMD and Intel) and
        // at most 1024 work-items per group; bigger members could never be checked here nor picked there
        all.removeIf(c -> c.localBytes(DType.F32) > MAX_LOCAL_BYTES || c.workGroupSize() > 1024);
        return all;
    }

    /**
     * Configurations one step from this one: the per-work-item tile halved or doubled along m or n (the vector width
     * follows the family's rule), the work-group halved or doubled (local-memory family), the K slice halved or
     * doubled, double buffering and in-place transposes flipped.
     */
    Set<GemmConfig> neighbours() {
        Set<GemmConfig> n = new LinkedHashSet<>();
        int familyVw = localMem ? 4 : 8;
        for (int f : new int[] {2, -2}) {
            tryAdd(n, () -> new GemmConfig(scale(tm, f), tn, wgM, wgN, vw, localMem, kt, doubleBuffer, inPlace));
            tryAdd(n, () -> new GemmConfig(tm, scale(tn, f), wgM, wgN, Math.min(familyVw, scale(tn, f)), localMem, kt, doubleBuffer, inPlace));
            if (localMem) {
                tryAdd(n, () -> new GemmConfig(tm, tn, scale(wgM, f), scale(wgN, f), vw, true, kt, doubleBuffer, inPlace));
                tryAdd(n, () -> new GemmConfig(tm, tn, wgM, wgN, vw, true, scale(kt, f), doubleBuffer, inPlace));
            }
        }
        if (localMem) n.add(new GemmConfig(tm, tn, wgM, wgN, vw, true, kt, !doubleBuffer, inPlace));
        n.add(withInPlace(!inPlace));
        n.remove(this);
        return n;
    }

    GemmConfig withInPlace(boolean v) {
        return new GemmConfig(tm, tn, wgM, wgN, vw, localMem, kt, doubleBuffer, v);
    }

    private static int scale(int v, int f) {
        return f > 0 ? v * f : v / -f;
    }

    private static void tryAdd(Set<GemmConfig> out, java.util.function.Supplier<GemmConfig> make) {
        try {
            GemmConfig c = make.get();
            if (c.tm >= 2 && c.tm <= 16 && c.tn >= 4 && c.tn <= 32 && c.wgM >= 4 && c.wgM <= 32 && c.wgN >= 4 && c.wgN <= 32 && c.kt >= 8 && c.kt <= 64) out.add(c);
        } catch (IllegalArgumentException e) {
            // not a valid member of the family (e.g. tn not a multiple of vw): not a neighbour
        }
    }
}
