// optim.cl - fused optimiser steps: one pass per parameter reads it, its gradient and its state, and writes the
// parameter and state back. The formulas are org.tessera.backend.OptimizerStep's (PyTorch 1.13's), line by line.
//
// Geometry: one element per work-item, global = n rounded up to the host's LOCAL (64), guard i < S.n. Every
// stream is read and written once at index i, so neighbouring work-items touch neighbouring addresses
// (coalesced on a GPU). Math in CT: float for F32 tensors, double for F64.

// Element count and the offsets of the parameter, gradient and three state slots (unused slots: any value).
typedef struct {
    int n;
    int p, g, s0, s1, s2;
} Span;

// SGD: d = g + wd p; with momentum, buf = first ? d : mu buf + (1 - dampening) d; d = nesterov ? d + mu buf : buf.
__kernel void sgd_step(__global T* p, __global const T* g, __global T* buf, const Span S, const CT lr,
                       const CT momentum, const CT dampening, const CT wd, const int nesterov, const int first) {
    int i = get_global_id(0);
    if (i >= S.n) return;
    CT pi = (CT) p[S.p + i];
    CT d = (CT) g[S.g + i] + wd * pi;
    if (momentum != (CT) 0) {
        CT b = first ? d : momentum * (CT) buf[S.s0 + i] + ((CT) 1 - dampening) * d;
        buf[S.s0 + i] = (T) b;
        d = nesterov ? d + momentum * b : b;
    }
    p[S.p + i] = (T) (pi - lr * d);
}

// Adam / AdamW (decoupled): step_size = lr / (1 - b1^t), root = sqrt(1 - b2^t), shrink = 1 - lr wd (host).
__kernel void adam_step(__global T* p, __global const T* g, __global T* m, __global T* v, const Span S,
                        const CT beta1, const CT beta2, const CT eps, const CT wd, const CT step_size,
                        const CT root, const CT shrink, const int decoupled) {
    int i = get_global_id(0);
    if (i >= S.n) return;
    CT pi = (CT) p[S.p + i], gi = (CT) g[S.g + i];
    if (decoupled) pi *= shrink;
    else gi += wd * pi;
    CT mi = (CT) m[S.s0 + i];
    mi += ((CT) 1 - beta1) * (gi - mi);
    CT vi = beta2 * (CT) v[S.s1 + i] + ((CT) 1 - beta2) * gi * gi;
    m[S.s0 + i] = (T) mi;
    v[S.s1 + i] = (T) vi;
    p[S.p + i] = (T) (pi - step_size * mi / (sqrt(vi) / root + eps));
}

// RMSProp: slot 0 mean square, slot 1 momentum buffer (momentum > 0), slot 2 mean gradient (centered).
__kernel void rmsprop_step(__global T* p, __global const T* g, __global T* sq, __global T* buf, __global T* ga,
                           const Span S, const CT lr, const CT alpha, const CT eps, const CT wd, const CT momentum,
                           const int centered) {
    int i = get_global_id(0);
    if (i >= S.n) return;
    CT pi = (CT) p[S.p + i];
    CT gi = (CT) g[S.g + i] + wd * pi;
    CT s = alpha * (CT) sq[S.s0 + i] + ((CT) 1 - alpha) * gi * gi;
    sq[S.s0 + i] = (T) s;
    CT avg;
    if (centered) {
        CT a = alpha * (CT) ga[S.s2 + i] + ((CT) 1 - alpha) * gi;
        ga[S.s2 + i] = (T) a;
        avg = sqrt(s - a * a) + eps;
    } else {
        avg = sqrt(s) + eps;
    }
    if (momentum > (CT) 0) {
        CT b = momentum * (CT) buf[S.s1 + i] + gi / avg;
        buf[S.s1 + i] = (T) b;
        p[S.p + i] = (T) (pi - lr * b);
    } else {
        p[S.p + i] = (T) (pi - lr * gi / avg);
    }
}
