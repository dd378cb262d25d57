package org.tessera.parallel;

import java.util.ArrayList;
import java.util.List;
import org.tessera.DType;
import org.tessera.Tensor;

/**
 * How a model's parameters are grouped for the gradient all-reduce: in reverse registration order (the order
 * backward produces their gradients in a feed-forward model, last layer first), cut into buckets of about
 * {@code capBytes} of one dtype each. One flat buffer per bucket is summed across replicas as soon as every
 * replica has filled it, so the sums of the last layers overlap the backward of the first ones. The same layout on
 * every replica (the replicas are the same model), fixed for the life of a {@link DataParallel} (and of a Spark
 * trainer's workers, which sum each bucket over their ring as soon as their backward has filled it).
 */
public final class GradientBuckets {
    /** One bucket: the parameters (indices into the model's parameter list) and where each starts in the flat buffer. */
    public record Bucket(int[] params, int[] offsets, int numel, DType dtype) {}

    final List<Bucket> buckets;
    /** Per parameter index: its bucket, and its position in that bucket. */
    final int[] bucketOf, slotOf;

    public GradientBuckets(List<Tensor> params, long capBytes) {
        List<Bucket> out = new ArrayList<>();
        bucketOf = new int[params.size()];
        slotOf = new int[params.size()];
        List<Integer> current = new ArrayList<>();
        long bytes = 0;
        DType dtype = null;
        for (int i = params.size() - 1; i >= 0; i--) {
            Tensor p = params.get(i);
            if (!current.isEmpty() && (p.dtype() != dtype || bytes >= capBytes)) {
                out.add(bucket(current, params));
                current.clear();
                bytes = 0;
            }
            dtype = p.dtype();
            current.add(i);
            bytes += p.numel() * p.dtype().byteSize();
        }
        if (!current.isEmpty()) out.add(bucket(current, params));
        buckets = List.copyOf(out);
        for (int b = 0; b < buckets.size(); b++) {
            int[] ps = buckets.get(b).params();
            for (int s = 0; s < ps.length; s++) {
                bucketOf[ps[s]] = b;
                slotOf[ps[s]] = s;
            }
        }
    }

    private static Bucket bucket(List<Integer> indices, List<Tensor> params) {
        int[] ps = indices.stream().mapToInt(Integer::intValue).toArray();
        int[] offsets = new int[ps.length];
        long numel = 0;
        for (int s = 0; s < ps.length; s++) {
            offsets[s] = (int) numel;
            numel += params.get(ps[s]).numel();
        }
        if (numel > Integer.MAX_VALUE) throw new IllegalArgumentException("a gradient bucket of " + numel + " elements exceeds 2^31-1");
        return new Bucket(ps, offsets, (int) numel, params.get(ps[0]).dtype());
    }

    public int size() {
        return buckets.size();
    }

    public Bucket get(int b) {
        return buckets.get(b);
    }

    /** The bucket of parameter {@code i} (its index in the parameter list). */
    public int bucketOf(int i) {
        return bucketOf[i];
    }
}
