#!/usr/bin/python3
"""The peers of `tessera bench --peers`: the same work as each Tessera case, in PyTorch (CPU) or NumPy/OpenBLAS.

  /usr/bin/python3 bench/peers/peer.py torch|numpy CASES_FILE|- [quick|full]

CASES_FILE (or stdin for -, answered line by line) has one case per line: <key> TAB <spec>, specs as org.tessera.cli.bench.Suites writes them
("gemm M K N", "add N", "sum_rows R C", "sum_cols R C", "softmax_ce ROWS CLASSES", "adam N", "mlp seed|small|large|gpu").
TESSERA_PEER_DEVICE=cuda runs the torch cases on the GPU (bench/gpu/check): fp32 with TF32 off, each iteration
ending in torch.cuda.synchronize() as Tessera's harness synchronises its device.
Prints <key> TAB <median seconds per iteration> TAB <min> TAB <max>, or <key> TAB missing TAB <why> for work this
library does not do (NumPy has no autograd). Timing as Tessera's harness: warm-up, then samples of several
iterations, median. Threads: torch.set_num_threads(OMP_NUM_THREADS) (the command passes Tessera's thread count).
"""
import os
import sys
import time


def timed(fn, warm, samples, sample_s):
    start, n = time.perf_counter(), 0
    while n < 3 or time.perf_counter() - start < warm:
        fn()
        n += 1
    per = (time.perf_counter() - start) / n
    reps = max(1, int(sample_s / max(per, 1e-9) + 0.999))
    out = []
    for _ in range(samples):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        out.append((time.perf_counter() - t) / reps)
    out.sort()
    return out[len(out) // 2], out[0], out[-1]


DEVICE = os.environ.get("TESSERA_PEER_DEVICE", "cpu")


def synchronized(fn):
    """fn followed by a device synchronisation when the peer runs on CUDA (kernels are queued asynchronously)."""
    if DEVICE == "cpu":
        return fn
    import torch

    def run():
        fn()
        torch.cuda.synchronize()
    return run


def torch_case(spec):
    fn = torch_body(spec)
    return None if fn is None else synchronized(fn)


def torch_body(spec):
    import torch
    op, *a = spec.split()
    g = torch.Generator().manual_seed(1)
    r = lambda *s: torch.randn(*s, generator=g).to(DEVICE)
    if op == "gemm":
        m, k, n = map(int, a)
        x, y = r(m, k), r(k, n)
        return lambda: torch.mm(x, y)
    if op == "add":
        x, y = r(int(a[0])), r(int(a[0]))
        return lambda: torch.add(x, y)
    if op in ("sum_rows", "sum_cols"):
        x = r(int(a[0]), int(a[1]))
        d = 1 if op == "sum_rows" else 0
        return lambda: x.sum(d)
    if op == "softmax_ce":
        rows, classes = int(a[0]), int(a[1])
        logits = r(rows, classes).requires_grad_(True)
        labels = (torch.arange(rows) * 7 % classes).to(DEVICE)

        def step():
            logits.grad = None
            torch.nn.functional.cross_entropy(logits, labels).backward()
        return step
    if op == "adam":
        w = r(int(a[0])).requires_grad_(True)
        w.sum().backward()
        opt = torch.optim.Adam([w], lr=1e-3)
        opt.step()
        return opt.step
    if op == "mlp":
        sizes, act, batch, ce, adam = {
            "seed": ([784, 200, 1], torch.nn.ReLU, 1000, False, False),
            "small": ([64, 256, 256, 1], torch.nn.Tanh, 64, False, False),
            "large": ([784, 2048, 2048, 2048, 10], torch.nn.ReLU, 512, True, True),
            "gpu": ([4096, 4096, 4096, 4096, 10], torch.nn.ReLU, 4096, True, True)}[a[0]]
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                layers.append(act())
        model = torch.nn.Sequential(*layers).to(DEVICE)
        x = r(batch, sizes[0])
        y = (torch.arange(batch) % sizes[-1]).to(DEVICE) if ce else r(batch, sizes[-1])
        opt = torch.optim.Adam(model.parameters(), lr=1e-4) if adam else torch.optim.SGD(model.parameters(), lr=1e-3)
        loss = torch.nn.functional.cross_entropy if ce else torch.nn.functional.mse_loss

        def step():
            opt.zero_grad()
            loss(model(x), y).backward()
            opt.step()
        return step
    return None


def numpy_case(spec):
    import numpy as np
    op, *a = spec.split()
    rng = np.random.default_rng(1)
    r = lambda *s: rng.standard_normal(s, dtype=np.float32)
    if op == "gemm":
        m, k, n = map(int, a)
        x, y = r(m, k), r(k, n)
        return lambda: np.dot(x, y)
    if op == "add":
        x, y = r(int(a[0])), r(int(a[0]))
        return lambda: np.add(x, y)
    if op in ("sum_rows", "sum_cols"):
        x = r(int(a[0]), int(a[1]))
        d = 1 if op == "sum_rows" else 0
        return lambda: x.sum(d)
    return None


def main():
    lib, cases = sys.argv[1], sys.argv[2]
    warm, samples, sample_s = (1.0, 9, 0.25) if sys.argv[3:4] == ["full"] else (0.3, 5, 0.08)
    if cases == "-":
        # serve: one case per line on stdin, each answered at once (the command times its own case right before,
        # so both see the same moment of a shared, noisy machine)
        cases = None
    try:
        if lib == "torch":
            import torch
            torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "0")) or torch.get_num_threads())
            if DEVICE != "cpu":
                torch.backends.cuda.matmul.allow_tf32 = False    # fp32 as Tessera computes it
                torch.backends.cudnn.allow_tf32 = False
            make = torch_case
        else:
            import numpy  # noqa: F401
            make = numpy_case
    except ImportError as e:
        for line in (sys.stdin if cases is None else open(cases)):
            print(f"{line.split(chr(9))[0]}\tmissing\t{lib} is not installed ({e})", flush=True)
        return
    for line in (sys.stdin if cases is None else open(cases)):
        if not line.strip():
            continue
        key, spec = line.rstrip("\n").split("\t")
        fn = make(spec)
        if fn is None:
            print(f"{key}\tmissing\t{lib} has no twin of '{spec.split()[0]}' here", flush=True)
            continue
        med, lo, hi = timed(fn, warm, samples, sample_s)
        print(f"{key}\t{med}\t{lo}\t{hi}", flush=True)


if __name__ == "__main__":
    main()
