package org.tessera.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.nn.Module;
import org.tessera.optim.Optimizer;

/**
 * A training checkpoint in one safetensors file: the model's state dict (keys {@code model.<name>}), the
 * optimiser's state tensors ({@code optimizer.<parameter>.<slot>}) and, as metadata, the step, the learning
 * rate, each parameter's step count, the named {@link Rng} streams (seed and counter) and any extra strings
 * (e.g. a schedule's step). Written atomically, so a failed save leaves the previous checkpoint intact. Loading
 * everything back into the same kinds of objects continues training exactly where it stopped.
 */
public final class Checkpoint {
    static final String FORMAT = "tessera-checkpoint-1";

    private Checkpoint() {}

    /** What a checkpoint says besides tensors. */
    public record Info(long step, Map<String, String> extra) {}

    public static void save(Path file, Module model, Optimizer optimizer, long step, Map<String, Rng> rngs, Map<String, String> extra)
            throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> tensors.put("model." + k, v));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("step", Long.toString(step));
        if (optimizer != null) {
            optimizer.stateTensors().forEach((k, v) -> tensors.put("optimizer." + k, v));
            meta.put("optimizer.class", optimizer.getClass().getName());
            meta.put("optimizer.lr", Double.toString(optimizer.lr()));
            StringBuilder counts = new StringBuilder();
            for (int i = 0; i < optimizer.parameters().size(); i++) counts.append(i == 0 ? "" : ",").append(optimizer.steps(i));
            meta.put("optimizer.steps", counts.toString());
        }
        rngs.forEach((name, r) -> meta.put("rng." + name, r.seed() + ":" + r.counter()));
        extra.forEach((k, v) -> meta.put("extra." + k, v));
        SafeTensors.save(tensors, meta, file);
    }

    /**
     * Restores a checkpoint into {@code model}, {@code optimizer} (may be null) and the named streams (which must
     * have the saved seeds; their counters are set). Everything is read and checked before anything changes.
     */
    public static Info load(Path file, Module model, Optimizer optimizer, Map<String, Rng> rngs) throws IOException {
        Map<String, String> meta = SafeTensors.metadata(file);
        if (!FORMAT.equals(meta.get("format"))) throw new IOException(file + ": not a Tessera checkpoint (format " + meta.get("format") + ")");
        Map<String, Tensor> all = SafeTensors.load(file, org.tessera.Device.cpu());
        try {
            Map<String, Tensor> modelState = new LinkedHashMap<>(), optState = new LinkedHashMap<>();
            all.forEach((k, v) -> {
                if (k.startsWith("model.")) modelState.put(k.substring(6), v);
                else if (k.startsWith("optimizer.")) optState.put(k.substring(10), v);
            });
            long[] counts = null;
            if (optimizer != null) {
                if (!optimizer.getClass().getName().equals(meta.get("optimizer.class"))) {
                    throw new IOException(file + ": saved with optimiser " + meta.get("optimizer.class") + ", restoring into "
                            + optimizer.getClass().getName());
                }
                String[] parts = meta.getOrDefault("optimizer.steps", "").split(",");
                counts = new long[parts.length];
                for (int i = 0; i < parts.length; i++) counts[i] = Long.parseLong(parts[i]);
            }
            long[] rngCounters = new long[rngs.size()];
            int r = 0;
            for (var e : rngs.entrySet()) {
                String saved = meta.get("rng." + e.getKey());
                if (saved == null) throw new IOException(file + ": no saved state for the random stream '" + e.getKey() + "'");
                String[] sc = saved.split(":");
                if (Long.parseLong(sc[0]) != e.getValue().seed()) {
                    throw new IOException(file + ": random stream '" + e.getKey() + "' was saved with seed " + sc[0] + ", this one has seed "
                            + e.getValue().seed());
                }
                rngCounters[r++] = Long.parseLong(sc[1]);
            }
            model.checkStateDict(modelState);                // everything is checked before anything is written
            if (optimizer != null) optimizer.checkState(optState, counts);
            model.loadStateDict(modelState);
            if (optimizer != null) {
                optimizer.loadState(optState, counts);
                optimizer.setLr(Double.parseDouble(meta.get("optimizer.lr")));
            }
            r = 0;
            for (Rng rng : rngs.values()) rng.setCounter(rngCounters[r++]);
            Map<String, String> extra = new LinkedHashMap<>();
            meta.forEach((k, v) -> {
                if (k.startsWith("extra.")) extra.put(k.substring(6), v);
            });
            return new Info(Long.parseLong(meta.get("step")), extra);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": corrupt checkpoint metadata (" + e.getMessage() + ")", e);
        } finally {
            all.values().forEach(Tensor::close);
        }
    }
}
