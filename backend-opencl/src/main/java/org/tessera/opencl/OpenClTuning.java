package org.tessera.opencl;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.tessera.DType;
import org.tessera.Device;

/**
 * What {@code tessera tune} needs from the OpenCL backend: tune the GEMM shape classes of a list of products on one
 * device now (full search: coarse grid, then refinement), store the winners in the tuning cache and report every
 * candidate. Later processes, and later GEMMs of this one, use the winners with no search.
 */
public final class OpenClTuning {
    private OpenClTuning() {}

    /** A product to tune for: C[m, n] = op(A) op(B) with k the shared dim; transA/transB as in {@code Backend.matmul}. */
    public record Shape(int m, int n, int k, boolean transA, boolean transB) {}

    /** One candidate: its configuration, GFLOP/s (NaN when it did not run) and "ok" or why it was rejected. */
    public record Candidate(String config, double gflops, String verdict) {}

    /** One shape class: the product timed, every candidate, the winner, the default it beat, where the winner is stored. */
    public record Report(String shapeClass, String shape, List<Candidate> candidates, String winner, double winnerGflops,
                         String baseline, double baselineGflops, Path cacheFile) {}

    /**
     * Tunes the distinct shape classes of {@code shapes} (F32) on {@code device}, spending about {@code budget} in all
     * (split evenly over the classes), calling {@code onCandidate} with each candidate (and its class) as it is timed and
     * {@code onClass} with each class's report as it finishes.
     */
    public static List<Report> tune(Device device, List<Shape> shapes, Duration budget, java.util.function.BiConsumer<String, Candidate> onCandidate,
                                    Consumer<Report> onClass) {
        if (!"opencl".equals(device.backend())) {
            throw new IllegalArgumentException("tune: GEMM tuning is for OpenCL devices; " + device.spec() + " is a " + device.backend()
                    + " device (list them with: tessera devices)");
        }
        OpenClBackend be = (OpenClBackend) new OpenClProvider().open(device.spec().substring(device.spec().indexOf(':') + 1));
        Map<GemmClass, Shape> classes = new LinkedHashMap<>();
        for (Shape s : shapes) {
            GemmClass c = GemmClass.of(DType.F32, s.transA(), s.transB(), s.m(), s.n(), s.k());
            if (c.tuned()) classes.putIfAbsent(c, s);   // smaller products always run the default
        }
        Duration each = budget.dividedBy(Math.max(1, classes.size()));
        List<Report> out = new ArrayList<>();
        for (Map.Entry<GemmClass, Shape> e : classes.entrySet()) {
            Shape s = e.getValue();
            TuneCache.Entry previous = be.tuneCache().load(e.getKey());
            GemmTuner.Result r = new GemmTuner(be).tune(e.getKey(), s.m(), s.n(), s.k(), GemmTuner.Mode.FULL, each,
                    previous == null ? null : previous.config(), t -> onCandidate.accept(e.getKey().toString(), candidate(t)));
            be.tuneCache().store(e.getKey(), new TuneCache.Entry(r.winner(), r.winnerGflops(), r.shape()));
            be.releaseLosers(e.getKey(), r);
            List<Candidate> cands = new ArrayList<>();
            for (GemmTuner.Trial t : r.trials()) cands.add(candidate(t));
            Report rep = new Report(e.getKey().toString(), r.shape(), List.copyOf(cands), r.winner().toString(), r.winnerGflops(),
                    r.baseline().toString(), r.baselineGflops(), be.tuneCache().file(e.getKey()));
            out.add(rep);
            onClass.accept(rep);
        }
        be.forgetGemmChoices();   // this process's next GEMMs take the new winners too
        return out;
    }

    private static Candidate candidate(GemmTuner.Trial t) {
        return new Candidate(t.config().toString(), t.gflops(), t.verdict());
    }
}
