#!/usr/bin/python3
"""PyTorch eager overhead on tiny tensors, the peer of DispatchBench: a.add(b) on 16 floats with grad off,
and (w*b).sum().backward() on 16 floats. Prints median ns per op as JSON lines.

Run: OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/peers/torch_dispatch.py
"""
import json
import time

import torch


def median_ns(fn, seconds=3.0):
    deadline = time.perf_counter() + 1.0
    while time.perf_counter() < deadline:
        fn()
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter_ns()
        for _ in range(1000):
            fn()
        samples.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    return samples[len(samples) // 2]


a, b = torch.rand(16), torch.rand(16)
w = torch.rand(16, requires_grad=True)


def add16():
    with torch.no_grad():
        a.add(b)


def mul_sum_backward16():
    (w * b).sum().backward()
    w.grad = None


print(json.dumps({"peer": "torch " + torch.__version__, "op": "add16", "median_ns": median_ns(add16)}))
print(json.dumps({"peer": "torch " + torch.__version__, "op": "mulSumBackward16", "median_ns": median_ns(mul_sum_backward16)}))
