package org.tessera.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.autograd.GradCheck;
import org.tessera.nn.Losses;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tessera gradcheck}: every differentiable op's analytic gradient against central differences in F64 on one
 * device, as a table (the worst element's error as a share of its tolerance; <= 1 passes).
 */
@Command(name = "gradcheck", mixinStandardHelpOptions = true, description = "Check every op's gradient against finite differences (F64).")
final class GradcheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", defaultValue = "auto", description = "device to check (default: ${DEFAULT-VALUE})")
    String device;

    /** An op and the inputs it takes, by letter: a [3, 4] with values in (-2, 2), p [3, 4] in (0.5, 2.5), b [4, 2]. */
    record Op(String inputs, Function<List<Tensor>, Tensor> f) {}

    static Op op(String inputs, Function<List<Tensor>, Tensor> f) {
        return new Op(inputs, f);
    }

    static Map<String, Op> ops() {
        Map<String, Op> m = new LinkedHashMap<>();
        m.put("add (broadcast row)", op("ap", in -> in.get(0).add(in.get(1).narrow(0, 0, 1))));
        m.put("sub", op("ap", in -> in.get(0).sub(in.get(1))));
        m.put("mul", op("ap", in -> in.get(0).mul(in.get(1))));
        m.put("div", op("ap", in -> in.get(0).div(in.get(1))));
        m.put("maximum", op("ap", in -> in.get(0).maximum(in.get(1))));
        m.put("minimum", op("ap", in -> in.get(0).minimum(in.get(1))));
        m.put("neg", op("a", in -> in.get(0).neg()));
        m.put("exp", op("a", in -> in.get(0).exp()));
        m.put("log", op("p", in -> in.get(0).log()));
        m.put("sqrt", op("p", in -> in.get(0).sqrt()));
        m.put("abs", op("a", in -> in.get(0).abs()));
        m.put("pow 3", op("a", in -> in.get(0).pow(3)));
        m.put("tanh", op("a", in -> in.get(0).tanh()));
        m.put("sigmoid", op("a", in -> in.get(0).sigmoid()));
        m.put("relu", op("a", in -> in.get(0).relu()));
        m.put("leakyRelu 0.1", op("a", in -> in.get(0).leakyRelu(0.1)));
        m.put("elu 0.7", op("a", in -> in.get(0).elu(0.7)));
        m.put("softplus", op("a", in -> in.get(0).softplus()));
        m.put("clamp -1..1", op("a", in -> in.get(0).clamp(-1, 1)));
        m.put("sum(1)", op("a", in -> in.get(0).sum(1, false)));
        m.put("mean(0)", op("a", in -> in.get(0).mean(0, true)));
        m.put("max(1)", op("a", in -> in.get(0).max(1, false)));
        m.put("min(0)", op("a", in -> in.get(0).min(0, false)));
        m.put("norm", op("a", in -> in.get(0).norm()));
        m.put("var(1)", op("a", in -> in.get(0).var(1, false)));
        m.put("std", op("a", in -> in.get(0).std()));
        m.put("matmul", op("ab", in -> in.get(0).matmul(in.get(1))));
        m.put("matmul (transposed)", op("ap", in -> in.get(0).t().matmul(in.get(1))));
        m.put("softmax(1)", op("a", in -> in.get(0).softmax(1)));
        m.put("logSoftmax(0)", op("a", in -> in.get(0).logSoftmax(0)));
        m.put("gather", op("a", in -> in.get(0).gather(1, Tensor.of(in.get(0).device(), new int[] {0, 3, 1, 1, 2, 0}, 3, 2))));
        m.put("cat + narrow", op("ap", in -> Tensor.cat(List.of(in.get(0), in.get(1)), 0).narrow(0, 2, 3)));
        m.put("reshape + transpose", op("a", in -> in.get(0).reshape(2, 6).t()));
        m.put("permute", op("a", in -> in.get(0).reshape(2, 3, 2).permute(2, 0, 1).exp()));
        m.put("in-place on a view", op("ap", in -> {
            Tensor y = in.get(0).mul(1);
            y.narrow(1, 1, 2).muli(in.get(1).narrow(1, 0, 2));
            return y.tanh();
        }));
        m.put("crossEntropy", op("a", in -> Losses.crossEntropy(in.get(0), Tensor.of(in.get(0).device(), new int[] {1, 0, 3}, 3))));
        m.put("mse", op("ap", in -> Losses.mse(in.get(0), in.get(1))));
        m.put("multiMargin", op("a", in -> Losses.multiMargin(in.get(0), Tensor.of(in.get(0).device(), new int[] {2, 0, 3}, 3))));
        m.put("binaryCrossEntropyWithLogits", op("ap", in -> Losses.binaryCrossEntropyWithLogits(in.get(0), in.get(1).div(3))));
        return m;
    }

    @Override
    public Integer call() {
        Device d = DeviceOption.resolve(device);
        java.io.PrintWriter out = spec.commandLine().getOut();
        out.println("gradient checks on " + d.description() + " (F64, central differences, eps 1e-6, atol 1e-5, rtol 1e-3)");
        Table t = new Table("op", "elements", "max |error|", "worst / tolerance", "result");
        int failed = 0;
        for (var e : ops().entrySet()) {
            Rng rng = new Rng(42);
            Tensor a = Tensor.rand(d, DType.F64, rng, 3, 4).mul(4).sub(2).requiresGrad(true);
            Tensor p = Tensor.rand(d, DType.F64, rng, 3, 4).mul(2).add(0.5).requiresGrad(true);
            Tensor b = Tensor.rand(d, DType.F64, rng, 4, 2).sub(0.5).requiresGrad(true);
            List<Tensor> inputs = new java.util.ArrayList<>();
            for (char c : e.getValue().inputs().toCharArray()) inputs.add(c == 'a' ? a : c == 'p' ? p : b);
            GradCheck.Report r = GradCheck.report(e.getValue().f(), inputs, GradCheck.DEFAULT_EPS, GradCheck.DEFAULT_ATOL, GradCheck.DEFAULT_RTOL);
            if (!r.passed()) failed++;
            t.row(e.getKey(), r.elements(), String.format("%.2e", r.maxAbsError()), String.format("%.1e", r.worst()), r.passed() ? "ok" : "FAILED");
        }
        t.print(out);
        out.println(failed == 0 ? "all " + ops().size() + " ops pass" : failed + " of " + ops().size() + " ops FAILED");
        out.flush();
        return failed == 0 ? 0 : 1;
    }
}
