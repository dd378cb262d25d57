#!/usr/bin/python3
"""NumPy/OpenBLAS float32 matmul: median time and GFLOP/s per size, as JSON lines.

Usage: numpy_matmul.py [n ...]   (default 256 512 1024 2048)
Run through bench/gemm-vs-numpy.sh, which sets the thread count the same as Tessera's run. Needs Debian's
python3-numpy with OpenBLAS as the BLAS (package libopenblas0-pthread; the reference libblas3 is ~50x slower).
"""
import json
import sys
import time

import numpy as np

try:
    from threadpoolctl import threadpool_info
    blas = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}" for i in threadpool_info()]
except ImportError:
    blas = ["threadpoolctl not installed"]

sizes = [int(a) for a in sys.argv[1:]] or [256, 512, 1024, 2048]
rng = np.random.default_rng(0)
for n in sizes:
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    deadline = time.perf_counter() + 2.0          # warm-up, like the JMH side
    while time.perf_counter() < deadline:
        a @ b
    times = []
    deadline = time.perf_counter() + 5.0
    while time.perf_counter() < deadline or len(times) < 5:
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({"peer": "numpy", "n": n, "median_ms": median * 1e3,
                      "gflops": 2 * n ** 3 / median / 1e9, "samples": len(times), "blas": blas}))
