package org.tessera.nn;

import java.util.ArrayList;
import java.util.List;

/** Modules applied in order; children are named "0", "1", ... as in {@code torch.nn.Sequential}. */
public class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... layers) {
        for (Module m : layers) add(m);
    }

    /** Appends a layer (named by its index). Returns this. */
    public Sequential add(Module m) {
        if (m == null) throw new IllegalArgumentException("Sequential: layer " + layers.size() + " is null");
        layers.add(registerModule(Integer.toString(layers.size()), m));
        return this;
    }

    public Module get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    @Override
    public org.tessera.Tensor forward(org.tessera.Tensor x) {
        org.tessera.Tensor h = x;
        for (Module m : layers) h = m.forward(h);
        return h;
    }
}
