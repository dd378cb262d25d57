package org.tessera.bench.suite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The last step of bench/gpu/check: one table from the run's folder. For each case of the OpenCL bench
 * (OUT/opencl/results.csv): Tessera's median on OpenCL, the CPU backend's (OUT/cpu/results.csv) and PyTorch CUDA's
 * (OUT/pytorch-cuda.tsv) where they ran, and the speed ratios; GEMM rows also as a share of the fp32 FMA peak given
 * by TESSERA_KIT_PEAK_GFLOPS (66900 for an H100/H200 SXM).
 */
public final class KitSummary {
    private KitSummary() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Map<String, double[]> opencl = csv(out.resolve("opencl/results.csv")), cpu = csv(out.resolve("cpu/results.csv"));
        Map<String, Double> torch = tsv(out.resolve("pytorch-cuda.tsv"));
        String peakEnv = System.getenv("TESSERA_KIT_PEAK_GFLOPS");
        double peak = peakEnv == null ? Double.NaN : Double.parseDouble(peakEnv);
        System.out.printf(Locale.ROOT, "%-26s %12s %14s %12s %12s %10s %12s%n", "case", "opencl", "throughput", "cpu", "pytorch cuda",
                "vs cpu", "vs pytorch");
        for (Map.Entry<String, double[]> e : opencl.entrySet()) {
            double t = e.getValue()[0], thr = e.getValue()[1];
            double[] c = cpu.get(e.getKey());
            Double p = torch.get(e.getKey());
            String through = e.getKey().startsWith("gemm") && !Double.isNaN(peak)
                    ? String.format(Locale.ROOT, "%.0f GF/s %.0f%%", thr, 100 * thr / peak) : String.format(Locale.ROOT, "%.4g", thr);
            System.out.printf(Locale.ROOT, "%-26s %12s %14s %12s %12s %10s %12s%n", e.getKey(), ms(t), through, c == null ? "" : ms(c[0]),
                    p == null ? "" : ms(p), c == null ? "" : String.format(Locale.ROOT, "%.2fx", c[0] / t),
                    p == null ? "" : String.format(Locale.ROOT, "%.2fx", p / t));
        }
        System.out.println("vs X = X's time / Tessera-on-OpenCL's time (above 1: Tessera on OpenCL is faster)");
    }

    private static String ms(double seconds) {
        return String.format(Locale.ROOT, "%.3f ms", seconds * 1e3);
    }

    /** key ("op size") -> {median seconds, throughput} of the non-peer rows. */
    private static Map<String, double[]> csv(Path file) throws IOException {
        Map<String, double[]> m = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) return m;
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = fields(line);
            if (f.size() < 8 || f.get(3).equals("true") || f.get(4).isEmpty()) continue;
            m.put(f.get(0) + " " + f.get(1), new double[] {Double.parseDouble(f.get(4)), Double.parseDouble(f.get(7))});
        }
        return m;
    }

    /** The peer script's answers: key TAB median TAB min TAB max (or key TAB missing TAB why). */
    private static Map<String, Double> tsv(Path file) throws IOException {
        Map<String, Double> m = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) return m;
        for (String line : Files.readAllLines(file)) {
            String[] f = line.split("\t");
            if (f.length >= 2 && !f[1].equals("missing")) {
                try {
                    m.put(f[0], Double.parseDouble(f[1]));
                } catch (NumberFormatException e) {
                    // a stray line of the peer's output, not an answer
                }
            }
        }
        return m;
    }

    /** One CSV line's fields ("" quotes as BenchCommand writes them). */
    private static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (ch == '"') quoted = false;
                else cur.append(ch);
            } else if (ch == '"') quoted = true;
            else if (ch == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else cur.append(ch);
        }
        out.add(cur.toString());
        return out;
    }
}
