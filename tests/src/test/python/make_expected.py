#!/usr/bin/python3
"""Reference values for Tessera's conformance tests, computed with PyTorch in float64.

Run with Debian's python3-torch:  /usr/bin/python3 tests/src/test/python/make_expected.py
It rewrites core/src/main/resources/org/tessera/conformance/torch.txt, one entry per line:
    <key> <shape as d0,d1,...|scalar> <values...>
Values are printed with repr() so they round-trip exactly. Tests compare Tessera (F32 and F64, every
device) against these. Inputs are fixed numbers (no RNG), so the file is reproducible byte for byte.
"""
import os
import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "core", "src", "main", "resources", "org", "tessera", "conformance", "torch.txt")
lines = []
written = {}


def put(key, t):
    t = torch.as_tensor(t).detach().to(torch.float64)
    if t._is_zerotensor():      # PyTorch's storage-less zeros (second derivatives of piecewise-linear ops)
        t = torch.zeros(t.shape)
    written[key] = t.clone()
    shape = ",".join(str(s) for s in t.shape) if t.dim() > 0 else "scalar"
    lines.append(f"{key} {shape} " + " ".join(repr(float(v)) for v in t.reshape(-1).tolist()))


def fixed(shape, lo, hi, shift=0.0):
    """Deterministic, irregularly spaced values in [lo, hi] (no ties, no zeros)."""
    n = 1
    for s in shape:
        n *= s
    idx = torch.arange(n, dtype=torch.float64)
    frac = torch.frac(idx * 0.6180339887498949 + 0.1234 + shift)
    return (lo + (hi - lo) * frac).reshape(shape)


# ---- unary ops: x [3, 4], upstream gradient g, forward y and dx = g·∂y/∂x ----
x = fixed((3, 4), -2.5, 2.5)
g = fixed((3, 4), -1.0, 1.0, shift=0.3)
xpos = fixed((3, 4), 0.2, 3.0)
put("x", x)
put("xpos", xpos)
put("g", g)
unary = {
    "neg": (x, lambda t: -t),
    "exp": (x, torch.exp),
    "log": (xpos, torch.log),
    "sqrt": (xpos, torch.sqrt),
    "abs": (x, torch.abs),
    "pow3": (x, lambda t: t.pow(3.0)),
    "pow_half": (xpos, lambda t: t.pow(0.5)),
    "powm2": (xpos, lambda t: t.pow(-2.0)),
    "tanh": (x, torch.tanh),
    "sigmoid": (x, torch.sigmoid),
    "relu": (x, torch.relu),
    "leakyRelu": (x, lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
    "elu": (x, lambda t: torch.nn.functional.elu(t, 0.7)),
    "softplus": (x, torch.nn.functional.softplus),
    "clamp": (x, lambda t: t.clamp(-1.0, 1.5)),
    "add_s": (x, lambda t: t + 1.5),
    "sub_s": (x, lambda t: t - 0.25),
    "mul_s": (x, lambda t: t * -3.0),
    "div_s": (x, lambda t: t / 4.0),
}
for name, (inp, fn) in unary.items():
    t = inp.clone().requires_grad_(True)
    y = fn(t)
    y.backward(g)
    put(f"unary.{name}.y", y)
    put(f"unary.{name}.dx", t.grad)

# ---- binary ops with broadcasting: a [3, 1, 4], b [2, 4] -> [3, 2, 4] ----
a = fixed((3, 1, 4), -2.0, 2.0)
b = fixed((2, 4), 0.5, 2.5, shift=0.5)
gb = fixed((3, 2, 4), -1.0, 1.0, shift=0.7)
put("a", a)
put("b", b)
put("gb", gb)
def bce_with_logits(p, q):
    p, q = torch.broadcast_tensors(p, q)
    return torch.nn.functional.binary_cross_entropy_with_logits(p, q, reduction="none")
def same(p, q):
    """Tessera's internal SAME row: 1 where equal or both NaN; no gradient (zeros, as a constant's)."""
    p, q = torch.broadcast_tensors(p, q)
    return ((p == q) | (p.isnan() & q.isnan())).to(torch.float64)


def put_same(prefix, p, q):
    put(f"{prefix}.same.y", same(p, q))
    put(f"{prefix}.same.da", torch.zeros_like(p))
    put(f"{prefix}.same.db", torch.zeros_like(q))


put_same("binary", a, b)
for name, fn in {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
                 "maximum": torch.maximum, "minimum": torch.minimum, "bceWithLogits": bce_with_logits}.items():
    ta, tb = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
    y = fn(ta, tb)
    y.backward(gb)
    put(f"binary.{name}.y", y)
    put(f"binary.{name}.da", ta.grad)
    put(f"binary.{name}.db", tb.grad)

# ---- reductions of x [3, 4] ----
def forward_backward(prefix, inp, fn, shift):
    """prefix.y = fn(inp), prefix.g an upstream gradient of y's shape (0.75 for a scalar), prefix.dx the gradient."""
    t = inp.clone().requires_grad_(True)
    y = fn(t)
    up = fixed(tuple(y.shape), -1.0, 1.0, shift=shift) if y.dim() > 0 else torch.tensor(0.75)
    y.backward(up)
    put(f"{prefix}.y", y)
    put(f"{prefix}.g", up)
    put(f"{prefix}.dx", t.grad)


def reduction(name, fn, upstream_shape_fn):
    forward_backward(f"reduce.{name}", x, fn, 0.9)

reduction("sum", lambda t: t.sum(), None)
reduction("mean", lambda t: t.mean(), None)
reduction("max", lambda t: t.max(), None)
reduction("sum0", lambda t: t.sum(0), None)
reduction("sum1k", lambda t: t.sum(1, keepdim=True), None)
reduction("mean0", lambda t: t.mean(0), None)
reduction("mean1", lambda t: t.mean(-1), None)
reduction("max0", lambda t: t.max(0).values, None)
reduction("max1k", lambda t: t.max(1, keepdim=True).values, None)
reduction("min", lambda t: t.min(), None)
reduction("min0", lambda t: t.min(0).values, None)
reduction("min1k", lambda t: t.min(1, keepdim=True).values, None)
reduction("norm", lambda t: t.norm(), None)
put("reduce.argmax0", x.argmax(0))
put("reduce.argmax1", x.argmax(1))
put("reduce.argmin0", x.argmin(0))
put("reduce.argmin1", x.argmin(1))

# ---- softmax / log-softmax along each dim ----
for dim in (0, 1):
    for name, fn in {"softmax": torch.softmax, "logSoftmax": torch.log_softmax}.items():
        t = x.clone().requires_grad_(True)
        y = fn(t, dim)
        y.backward(g)
        put(f"{name}{dim}.y", y)
        put(f"{name}{dim}.dx", t.grad)

# ---- matmul: 2-D, batched, broadcast batch, 1-D cases ----
def mm(name, sa, sb):
    ta = fixed(sa, -1.5, 1.5).requires_grad_(True)
    tb = fixed(sb, -1.0, 1.0, shift=0.4).requires_grad_(True)
    y = ta @ tb
    up = fixed(tuple(y.shape), -1.0, 1.0, shift=0.2) if y.dim() > 0 else torch.tensor(0.75)
    y.backward(up)
    put(f"matmul.{name}.a", ta)
    put(f"matmul.{name}.b", tb)
    put(f"matmul.{name}.g", up)
    put(f"matmul.{name}.y", y)
    put(f"matmul.{name}.da", ta.grad)
    put(f"matmul.{name}.db", tb.grad)

mm("mm", (5, 7), (7, 3))
mm("bmm", (2, 4, 3), (2, 3, 5))
mm("broadcast", (2, 3, 4, 3), (3, 2))
mm("broadcast2", (4, 3), (2, 1, 3, 5))
mm("dot", (6,), (6,))
mm("mv", (4, 6), (6,))
mm("vm", (6,), (6, 4))

# ---- the weight-sharing DAG: x1 = w1 x0, x2 = x0 + w2 x1, x3 = w1 (x1 + x2), q = ||x3|| ----
w1 = torch.tensor([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [-0.25, 0.5, 1.0]], requires_grad=True)
w2 = torch.tensor([[1.0, 0.5, -0.75], [-0.5, 0.25, 1.25], [0.75, -1.5, 0.5]], requires_grad=True)
x0 = torch.tensor([1.0, -2.0, 0.5])
x1 = w1 @ x0
x2 = x0 + w2 @ x1
x3 = w1 @ (x1 + x2)
q = x3.norm()
q.backward()
put("dag.w1", w1)
put("dag.w2", w2)
put("dag.x0", x0)
put("dag.q", q)
put("dag.dw1", w1.grad)
put("dag.dw2", w2.grad)

# ---- gather along dim 1, and cat ----
src = fixed((3, 4), -2.0, 2.0).requires_grad_(True)
index = torch.tensor([[0, 3], [2, 2], [1, 0]])
y = src.gather(1, index)
y.backward(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
put("gather.src", src)
put("gather.y", y)
put("gather.dx", src.grad)

# ---- index_select along dim 0 (repeated rows) and dim 1, of the same src ----
for dim, idx in ((0, [2, 0, 2, 1]), (1, [3, 1])):
    t = src.detach().clone().requires_grad_(True)
    y = t.index_select(dim, torch.tensor(idx))
    up = fixed(tuple(y.shape), -1.0, 1.0, shift=0.8)
    y.backward(up)
    put(f"index_select{dim}.y", y)
    put(f"index_select{dim}.g", up)
    put(f"index_select{dim}.dx", t.grad)

# ---- cross-entropy (mean over rows) of logits [4, 5] with I32 labels ----
logits = fixed((4, 5), -3.0, 3.0).requires_grad_(True)
labels = torch.tensor([1, 0, 4, 2])
loss = torch.nn.functional.cross_entropy(logits, labels)
loss.backward()
put("ce.logits", logits)
put("ce.labels", labels)
put("ce.loss", loss)
put("ce.dlogits", logits.grad)

# ---- the other losses on the same [4, 5] scores and labels (all mean-reduced) ----
scores = fixed((4, 5), -2.0, 2.0, shift=0.15).requires_grad_(True)
torch.nn.functional.nll_loss(torch.log_softmax(scores, 1), labels).backward()
put("nll.scores", scores)
put("nll.loss", torch.nn.functional.nll_loss(torch.log_softmax(scores, 1), labels))
put("nll.dscores", scores.grad)
scores.grad = None
mm = torch.nn.functional.multi_margin_loss(scores, labels)
mm.backward()
put("mm.loss", mm)
put("mm.dscores", scores.grad)
target = fixed((4, 5), 0.0, 1.0, shift=0.35)
bl = scores.detach().clone().mul(4).requires_grad_(True)     # larger logits: exercises the stable form
bce = torch.nn.functional.binary_cross_entropy_with_logits(bl, target)
bce.backward()
put("bce.logits", bl)
put("bce.target", target)
put("bce.loss", bce)
put("bce.dlogits", bl.grad)
pred = fixed((3, 4), -1.0, 2.0, shift=0.6).requires_grad_(True)
tgt = fixed((3, 4), 0.0, 1.0, shift=0.2)
mse = torch.nn.functional.mse_loss(pred, tgt)
mse.backward()
put("mse.pred", pred)
put("mse.target", tgt)
put("mse.loss", mse)
put("mse.dpred", pred.grad)

# ---- optimisers: 20 steps on a fixed model 4-3-2 (Linear, tanh, Linear), MSE on a fixed batch ----
opt_x = fixed((5, 4), -1.0, 1.0, shift=0.05)
opt_y = fixed((5, 2), -0.5, 0.5, shift=0.45)
opt_init = {"w1": fixed((3, 4), -0.6, 0.6, shift=0.11), "b1": fixed((3,), -0.2, 0.2, shift=0.21),
            "w2": fixed((2, 3), -0.6, 0.6, shift=0.31), "b2": fixed((2,), -0.2, 0.2, shift=0.41)}
put("opt.x", opt_x)
put("opt.y", opt_y)
for k, v in opt_init.items():
    put(f"opt.init.{k}", v)
optimisers = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001),
    "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "adam_l2": lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.05),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
    "rmsprop_full": lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01,
                                                  momentum=0.5, centered=True),
}
def train_fixed(make_opt, make_sched=None):
    """20 steps on the fixed model from opt_init: the losses, the learning rate at each step, the parameters."""
    params = {k: v.clone().requires_grad_(True) for k, v in opt_init.items()}
    opt = make_opt(list(params.values()))
    sched = make_sched(opt) if make_sched else None
    losses, lrs = [], []
    for step in range(20):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        h = torch.tanh(opt_x @ params["w1"].T + params["b1"])
        loss = torch.nn.functional.mse_loss(h @ params["w2"].T + params["b2"], opt_y)
        loss.backward()
        opt.step()
        if sched:
            sched.step()
        losses.append(loss.item())
    return losses, lrs, params


for name, make in optimisers.items():
    losses, _, params = train_fixed(make)
    put(f"opt.{name}.losses", torch.tensor(losses))
    for k, v in params.items():
        put(f"opt.{name}.{k}", v)

# ---- schedules: SGD(lr 0.1, momentum 0.9) on the optimiser model, 20 steps, scheduler.step() after each ----
import math
schedules = {
    "step": lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=6, gamma=0.5),
    "cosine": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20),
    "linear": lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=20),
    "inverse_sqrt": lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: min((t + 1) / 5, math.sqrt(5 / (t + 1)))),
}
for name, make in schedules.items():
    _, lrs, params = train_fixed(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), make)
    put(f"sched.{name}.lrs", torch.tensor(lrs))
    for k, v in params.items():
        put(f"sched.{name}.{k}", v)

# ---- nn: Sequential(Linear(4,3), ELU(0.7), Linear(3,6), LeakyReLU(0.1)); and with Maxout(3, 2, 3) as layer 2 ----
nn_x = fixed((5, 4), -1.5, 1.5, shift=0.17)
seq = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ELU(0.7), torch.nn.Linear(3, 6), torch.nn.LeakyReLU(0.1))
with torch.no_grad():
    for i, (name, p) in enumerate(seq.state_dict().items()):
        p.copy_(fixed(tuple(p.shape), -0.8, 0.8, shift=0.07 * (i + 1)))
        put(f"nn.state.{name}", p)
put("nn.x", nn_x)
h = seq(nn_x)
# Maxout(3 -> 2, 3 pieces) in place of Linear(3,6) + LeakyReLU: the max over groups of 3 consecutive units
maxout = seq[2](seq[1](seq[0](nn_x))).view(5, 2, 3).max(-1).values
put("nn.y", h)
put("nn.maxout", maxout)
(maxout * fixed((5, 2), -1.0, 1.0, shift=0.5)).sum().backward()
put("nn.maxout.g", fixed((5, 2), -1.0, 1.0, shift=0.5))
for name, p in seq.named_parameters():
    put(f"nn.grad.{name}", p.grad)


# ---- NaN, +-Inf and signed zeros through every elementwise op and reduction (float64) ----
nan, inf = float("nan"), float("inf")
special = torch.tensor([nan, inf, -inf, -0.0, 0.0, 2.0, -2.0, 0.5])
special_g = torch.tensor([0.5, -1.5, 2.0, 1.0, -1.0, 0.25, 3.0, -0.75])
put("special.x", special)
put("special.g", special_g)
for name, (_, fn) in unary.items():
    t = special.clone().requires_grad_(True)
    y = fn(t)
    y.backward(special_g)
    put(f"special.unary.{name}.y", y)
    put(f"special.unary.{name}.dx", t.grad)
sa = special.repeat_interleave(8)
sb = special.repeat(8)
sg = fixed((64,), -2.0, 2.0, shift=0.33)
put("special.a", sa)
put("special.b", sb)
put("special.gb", sg)
put_same("special.binary", sa, sb)
binary_ops = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
              "maximum": torch.maximum, "minimum": torch.minimum,
              "bceWithLogits": bce_with_logits}
for name, fn in binary_ops.items():
    ta, tb = sa.clone().requires_grad_(True), sb.clone().requires_grad_(True)
    y = fn(ta, tb)
    y.backward(sg)
    put(f"special.binary.{name}.y", y)
    put(f"special.binary.{name}.da", ta.grad)
    put(f"special.binary.{name}.db", tb.grad)
rows = torch.tensor([[1.0, nan, 2.0, 0.5], [inf, 1.0, 2.0, -1.0], [-inf, 0.0, 1.0, 2.0], [inf, -inf, 0.0, 1.0]])
put("special.rows", rows)
special_reductions = {
    "sum": lambda t: t.sum(), "mean": lambda t: t.mean(), "max": lambda t: t.max(), "min": lambda t: t.min(),
    "sum0": lambda t: t.sum(0), "sum1": lambda t: t.sum(1), "mean1": lambda t: t.mean(1),
    "max1": lambda t: t.max(1).values, "min1": lambda t: t.min(1).values, "max0": lambda t: t.max(0).values,
    "softmax1": lambda t: torch.softmax(t, 1), "logSoftmax1": lambda t: torch.log_softmax(t, 1),
    "softmax0": lambda t: torch.softmax(t, 0), "norm": lambda t: t.norm(),
}
for name, fn in special_reductions.items():
    t = rows.clone().requires_grad_(True)
    y = fn(t)
    up = fixed(tuple(y.shape), 0.5, 1.5, shift=0.9) if y.dim() > 0 else torch.tensor(0.75)
    y.backward(up)
    put(f"special.reduce.{name}.y", y)
    put(f"special.reduce.{name}.g", up)
    put(f"special.reduce.{name}.dx", t.grad)
put("special.reduce.argmax1", rows.argmax(1))
put("special.reduce.argmin1", rows.argmin(1))
put("special.reduce.argmax0", rows.argmax(0))
put("special.reduce.argmin0", rows.argmin(0))

# ---- F32 results that are exactly rounded, computed by PyTorch in float32: Tessera must give the same bits ----
e_a = fixed((37,), -3.0, 3.0, shift=0.12).to(torch.float32)
e_b = fixed((37,), 0.25, 2.0, shift=0.61).to(torch.float32)
put("exact32.a", e_a)
put("exact32.b", e_b)
exact = {
    "add": e_a + e_b, "sub": e_a - e_b, "mul": e_a * e_b, "div": e_a / e_b,
    "maximum": torch.maximum(e_a, e_b - 1), "minimum": torch.minimum(e_a, e_b - 1),
    "relu": torch.relu(e_a), "clamp": e_a.clamp(-0.3, 0.45), "leakyRelu": torch.nn.functional.leaky_relu(e_a, 0.01),
    "add_s": e_a + 1 / math.sqrt(8), "sub_s": e_a - 0.1, "mul_s": e_a * 0.3, "div_s": e_a / 0.7, "neg": -e_a,
    "bminus1": e_b - 1,
}
for name, v in exact.items():
    put(f"exact32.{name}", v)

# ---- in-place ops interleaved with uses: before, after, on views and views of views (float64) ----
ip_x = torch.tensor([1.5, -2.0, 0.5, 3.0, -1.0, 2.5])
ip_w = torch.tensor([0.5, -1.5])
put("inplace.x", ip_x)
put("inplace.w", ip_w)
def in_place(name, fn):
    x = ip_x.clone().requires_grad_(True)
    w = ip_w.clone().requires_grad_(True)
    value, loss = fn(x, w)
    loss.backward()
    put(f"inplace.{name}.value", value)
    put(f"inplace.{name}.loss", loss)
    put(f"inplace.{name}.dx", x.grad if x.grad is not None else torch.zeros_like(x))
    put(f"inplace.{name}.dw", w.grad if w.grad is not None else torch.zeros_like(w))

def after_use(x, w):
    y = x * 1
    s = y.sum()
    y.mul_(2)
    return y, s
def view_of_non_leaf(x, w):
    y = x * 1
    y.narrow(0, 0, 2).mul_(3)
    return y, (y * y).sum()
def view_made_before_base_change(x, w):
    y = x * 1
    v = y.narrow(0, 1, 3)
    y.mul_(2)
    return v, (v * v).sum() + y.sum()
def view_of_view(x, w):
    y = (x * 1).view(2, 3)
    v = y.t().narrow(0, 1, 2)
    v.mul_(w.unsqueeze(0))
    return y, y.exp().sum()
def interleaved(x, w):
    y = x * 1
    u = y.sum()
    v = y.narrow(0, 1, 2)
    v.mul_(w)
    z = y * 2
    y.add_(3)
    t = v.exp()
    return t, u + z.sum() + t.sum()
def copy_into_view(x, w):
    y = x * 1
    y.narrow(0, 2, 2).copy_(w)
    return y, (y * y).sum()
def chain_of_ops(x, w):
    y = (x * 1).view(3, 2)
    y.add_(w)
    y.mul_(w)
    y.sub_(0.5)
    y.div_(w)
    y.mul_(2.5)
    return y, (y * y).sum() + y.sum()
def transposed_view(x, w):
    y = (x * 1).view(2, 3)
    y.t().narrow(0, 0, 1).sub_(w.view(1, 2))
    return y, y.tanh().sum()
def overlapping_views(x, w):
    y = x * 1
    a = y.narrow(0, 0, 4)
    b = y.narrow(0, 2, 4)
    a.mul_(2)
    b.mul_(3)
    return a, (a * b).sum() + (y * y).sum()
def operand_needs_grad_base_does_not(x, w):
    y = torch.zeros(6)
    y.narrow(0, 1, 2).add_(w)
    y.mul_(x)
    return y, (y * y).sum()
for name, fn in {"afterUse": after_use, "viewOfNonLeaf": view_of_non_leaf, "viewBeforeBaseChange": view_made_before_base_change,
                 "viewOfView": view_of_view, "interleaved": interleaved, "copyIntoView": copy_into_view,
                 "chain": chain_of_ops, "transposedView": transposed_view, "overlappingViews": overlapping_views,
                 "baseWithoutGrad": operand_needs_grad_base_does_not}.items():
    in_place(name, fn)
# the two programs, as written there
x4 = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
y4 = x4.mul(1); w4 = y4.sum(); y4.mul_(2); w4.backward()
put("inplace.issue1.dx", x4.grad)
x4.grad = None
y4 = x4.mul(1); y4.narrow(0, 0, 2).mul_(3); y4.mul(y4).sum().backward()
put("inplace.issue2.dx", x4.grad)

# ---- binary cross-entropy with logits at logits of exactly 0 (a zero-initialised output layer) ----
bz = torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.5, -2.0]], requires_grad=True)
bz_t = torch.tensor([[0.0, 0.3, 1.0], [0.5, 0.2, 1.0]])
bzl = torch.nn.functional.binary_cross_entropy_with_logits(bz, bz_t)
bzl.backward()
put("bce0.logits", bz)
put("bce0.target", bz_t)
put("bce0.loss", bzl)
put("bce0.dlogits", bz.grad)

# ---- Autograd.grad with gradOutputs, of several outputs, and with respect to a computed tensor ----
gx = fixed((2, 3), -1.0, 1.0, shift=0.44).requires_grad_(True)
gw = fixed((3,), -1.0, 1.0, shift=0.55).requires_grad_(True)
h = gx * gw
y1 = h.tanh() * 2
y2 = (h * gw).sum(0)
g1 = fixed((2, 3), -1.0, 1.0, shift=0.66)
g2 = fixed((3,), -1.0, 1.0, shift=0.77)
r = torch.autograd.grad([y1, y2], [gx, gw, h], [g1, g2])
put("agrad.x", gx)
put("agrad.w", gw)
put("agrad.g1", g1)
put("agrad.g2", g2)
put("agrad.dx", r[0])
put("agrad.dw", r[1])
put("agrad.dh", r[2])

# ---- permute, var and std ----
px = fixed((2, 3, 4), -2.0, 2.0, shift=0.19).requires_grad_(True)
py = px.permute(2, 0, 1)
pg = fixed((4, 2, 3), -1.0, 1.0, shift=0.29)
py.backward(pg)
put("permute.x", px)
put("permute.g", pg)
put("permute.y", py)
put("permute.dx", px.grad)
moments = {
    "var": lambda t: t.var(), "varBiased": lambda t: t.var(unbiased=False),
    "var1": lambda t: t.var(1), "var0k": lambda t: t.var(0, keepdim=True), "var1Biased": lambda t: t.var(1, unbiased=False),
    "std": lambda t: t.std(), "stdBiased": lambda t: t.std(unbiased=False),
    "std1": lambda t: t.std(1), "std0k": lambda t: t.std(0, keepdim=True), "std1Biased": lambda t: t.std(1, unbiased=False),
}
for name, fn in moments.items():
    t = x.clone().requires_grad_(True)
    y = fn(t)
    up = fixed(tuple(y.shape), -1.0, 1.0, shift=0.9) if y.dim() > 0 else torch.tensor(0.75)
    y.backward(up)
    put(f"moments.{name}.y", y)
    put(f"moments.{name}.g", up)
    put(f"moments.{name}.dx", t.grad)

# ---- ties and kinks: gradients where the op is not differentiable, as PyTorch 1.13 gives them ----
# ties.x: the maximum 2.0 four times, the minimum -2.0 twice, zeros (abs, relu), both clamp bounds; ties.nan: NaNs.
nan = float("nan")
tx = torch.tensor([[1.0, -1.0, 2.0, 0.0], [2.0, 0.5, 2.0, -2.0], [-2.0, 2.0, 0.0, 1.5]])
tn = torch.tensor([[1.0, nan, 2.0, 0.5], [2.0, 0.5, nan, -2.0], [-2.0, 2.0, 0.0, 1.5]])
ty = torch.tensor([[1.0, 0.5, 2.0, 0.0], [-1.0, 0.5, 3.0, -2.0], [-2.0, 1.0, 0.0, 1.5]])
put("ties.x", tx)
put("ties.nan", tn)
put("ties.y", ty)
kinks = {
    "max": lambda t: t.max(), "min": lambda t: t.min(),
    "max0": lambda t: t.max(0).values, "max1": lambda t: t.max(1).values,
    "min0": lambda t: t.min(0).values, "min1k": lambda t: t.min(1, keepdim=True).values,
    "relu": torch.relu, "abs": torch.abs, "clamp": lambda t: t.clamp(-1.0, 1.5),
    "leakyRelu": lambda t: torch.nn.functional.leaky_relu(t, 0.1),
    "maximum": lambda t: torch.maximum(t, ty), "minimum": lambda t: torch.minimum(t, ty),
}
for input_name, inp in (("x", tx), ("nan", tn)):
    for name, fn in kinks.items():
        if input_name == "nan" and name not in ("max", "min", "max0", "max1", "min0", "min1k"):
            continue
        forward_backward(f"ties.{input_name}.{name}", inp, fn, 0.45)
    put(f"ties.{input_name}.argmax0", inp.argmax(0))
    put(f"ties.{input_name}.argmax1", inp.argmax(1))
    put(f"ties.{input_name}.argmin0", inp.argmin(0))
    put(f"ties.{input_name}.argmin1", inp.argmin(1))
# maximum/minimum: the other operand's gradient too (a tie splits dy in half)
for name, fn in (("maximum", torch.maximum), ("minimum", torch.minimum)):
    a = tx.clone().requires_grad_(True)
    b = ty.clone().requires_grad_(True)
    fn(a, b).backward(fixed((3, 4), -1.0, 1.0, shift=0.45))
    put(f"ties.x.{name}.dy", b.grad)

# ---- second order: gradients made with create_graph, differentiated again (second.KEY.*) ----
# For inputs t_i of case KEY: y = f(t), w an upstream gradient of y's shape (.w), g_i = grad(y, t_i, w) built with
# create_graph (.g0, .g1, ...), v_i a direction of t_i's shape (.v0, ...), and the Hessian-vector product
# h_i = d/dt_i sum_j <g_j, v_j> (.h0, ...; zeros where it does not depend on t_i). Conformance.SECOND_ORDER runs the
# same protocol on the same keys.
def second_order(key, inputs, fn):
    ts = [t.detach().clone().requires_grad_(True) for t in inputs]
    y = fn(*ts)
    w = fixed(tuple(y.shape), -1.0, 1.0, shift=0.37) if y.dim() > 0 else torch.tensor(0.75)
    gs = torch.autograd.grad(y, ts, w, create_graph=True, allow_unused=True)
    gs = [torch.zeros_like(t) if gi is None else gi for t, gi in zip(ts, gs)]
    vs = [fixed(tuple(t.shape), -1.0, 1.0, shift=0.21 + 0.1 * i) for i, t in enumerate(ts)]
    s = sum((gi * vi).sum() for gi, vi in zip(gs, vs))
    hs = torch.autograd.grad(s, ts, allow_unused=True) if s.requires_grad else [None] * len(ts)
    put(f"second.{key}.w", w)
    for i, t in enumerate(ts):
        put(f"second.{key}.g{i}", gs[i])
        put(f"second.{key}.v{i}", vs[i])
        put(f"second.{key}.h{i}", torch.zeros_like(t) if hs[i] is None else hs[i])


for name, (inp, fn) in unary.items():
    second_order(f"unary.{name}", [inp], fn)
def bce_formula(p, q):
    """Tessera's BCE_WITH_LOGITS row term by term, so PyTorch differentiates it twice (also towards the target)."""
    m = (-p).clamp(min=0)
    return (1 - q) * p + m + torch.log(torch.exp(-m) + torch.exp(-p - m))
for name, fn in {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
                 "maximum": torch.maximum, "minimum": torch.minimum, "bceWithLogits": bce_formula}.items():
    second_order(f"binary.{name}", [written["a"], written["b"]], fn)
second_reductions = {
    "sum": lambda t: t.sum(), "mean": lambda t: t.mean(), "max": lambda t: t.max(), "min": lambda t: t.min(),
    "sum0": lambda t: t.sum(0), "mean1": lambda t: t.mean(-1), "max0": lambda t: t.max(0).values,
    "min1k": lambda t: t.min(1, keepdim=True).values, "norm": lambda t: t.norm(),
    "var": lambda t: t.var(), "var1": lambda t: t.var(1, unbiased=False), "std": lambda t: t.std(),
    "std0k": lambda t: t.std(0, keepdim=True),
    "cube_sum0": lambda t: t.sum(0).pow(3.0), "cube_mean1": lambda t: t.mean(-1).pow(3.0),
    "cube_max0": lambda t: t.max(0).values.pow(3.0),
}
for name, fn in second_reductions.items():
    second_order(f"reduce.{name}", [written["x"]], fn)
for dim in (0, 1):
    second_order(f"softmax{dim}", [written["x"]], lambda t, d=dim: torch.softmax(t, d))
    second_order(f"logSoftmax{dim}", [written["x"]], lambda t, d=dim: torch.log_softmax(t, d))
for name in ("mm", "bmm", "broadcast", "broadcast2", "dot", "mv", "vm"):
    second_order(f"matmul.{name}", [written[f"matmul.{name}.a"], written[f"matmul.{name}.b"]], lambda p, q: p @ q)
# linear ops followed by a cube, so that the second derivative runs back through their backward's own backward
gather_index = torch.tensor([[0, 3], [2, 2], [1, 0]])
shapes = {
    "gather": lambda t: t.gather(1, gather_index).pow(3.0),
    "indexSelect0": lambda t: t.index_select(0, torch.tensor([2, 0, 2, 1])).pow(3.0),
    "indexSelect1": lambda t: t.index_select(1, torch.tensor([3, 1])).pow(3.0),
    "narrow": lambda t: t.narrow(1, 1, 2).pow(3.0),
    "cat": lambda t: torch.cat([t, t.narrow(0, 1, 2)], 0).pow(3.0),
    "expand": lambda t: t.narrow(0, 0, 1).expand(3, 4).pow(3.0),
    "permute": lambda t: t.reshape(3, 2, 2).permute(2, 0, 1).pow(3.0),
    "transposeCopy": lambda t: t.t().contiguous().pow(3.0),
    "broadcastMul": lambda t: (t * t.narrow(0, 0, 1)).pow(2.0),
}
for name, fn in shapes.items():
    second_order(f"shape.{name}", [written["gather.src"]], fn)
second_order("crossEntropy", [written["ce.logits"]],
             lambda t: torch.nn.functional.cross_entropy(t, written["ce.labels"].long(), reduction="none"))
def exp_then_scale_view(t):
    """An in-place change through a view of a non-leaf: its copySlices node's backward is differentiated."""
    y = t.pow(2.0)          # saves its input, not its output, so the in-place change below is allowed
    y[:, 1:3].mul_(t[:, 1:3])
    return y
second_order("inplaceView", [written["x"]], exp_then_scale_view)
# a small MLP, every parameter and the input at once: the mixed second derivatives too
mlp_x = fixed((5, 4), -1.5, 1.5, shift=0.13)
mlp_w1 = fixed((3, 4), -0.9, 0.9, shift=0.29)
mlp_b1 = fixed((3,), -0.3, 0.3, shift=0.41)
mlp_w2 = fixed((2, 3), -1.1, 1.1, shift=0.53)
mlp_labels = torch.tensor([1, 0, 0, 1, 1])
for k, v in (("x", mlp_x), ("w1", mlp_w1), ("b1", mlp_b1), ("w2", mlp_w2), ("labels", mlp_labels)):
    put(f"mlp.{k}", v)
def mlp_loss(xx, w1_, b1_, w2_):
    h1 = torch.tanh(xx @ w1_.t() + b1_)
    return torch.nn.functional.cross_entropy(h1 @ w2_.t(), mlp_labels)
second_order("mlp", [mlp_x, mlp_w1, mlp_b1, mlp_w2], mlp_loss)
# a gradient penalty (WGAN-GP style): loss + ||d loss / d x||^2, then its gradient towards the parameters
pts = [t.clone().requires_grad_(True) for t in (mlp_x, mlp_w1, mlp_b1, mlp_w2)]
base = mlp_loss(*pts)
(gx,) = torch.autograd.grad(base, [pts[0]], create_graph=True)
penalised = base + gx.pow(2.0).sum()
penalised.backward()
put("penalty.loss", penalised)
for k, t in zip(("x", "w1", "b1", "w2"), pts):
    put(f"penalty.d{k}", t.grad)

with open(OUT, "w") as f:
    f.write("# generated by tests/src/test/python/make_expected.py with torch " + torch.__version__ + "\n")
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} entries to {os.path.normpath(OUT)}")
