#!/usr/bin/env bash
# CPU SGEMM, Tessera against NumPy/OpenBLAS, measured in one run on this machine, 2 threads each.
# Prints GFLOP/s (from median times) and the ratio Tessera / OpenBLAS, with and without the Vector API.
#   bench/gemm-vs-numpy.sh            # needs: python3-numpy, libopenblas0-pthread (Debian)
set -euo pipefail
cd "$(dirname "$0")/.."
jar=bench/target/tessera-bench.jar
[ -f "$jar" ] || ./mvnw -q -DskipTests package -pl bench -am
out=$(mktemp -d)
sizes="256 512 1024 2048"
# OpenBLAS at 2 threads; the machine's OPENBLAS_CORETYPE/L2_SIZE pins (set for old OpenBLAS builds) slow a
# current one, so they are unset for this command only.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE \
    /usr/bin/python3 bench/peers/numpy_matmul.py $sizes > "$out/numpy.jsonl"
java --add-modules jdk.incubator.vector -jar "$jar" GemmBench -p device=cpu:2 -p n="${sizes// /,}" \
    -rf json -rff "$out/simd.json" > "$out/simd.log" 2>&1
java -jar "$jar" GemmBench -p device=cpu:2 -p n="${sizes// /,}" -rf json -rff "$out/portable.json" > "$out/portable.log" 2>&1
/usr/bin/python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
peer = {r["n"]: r for r in map(json.loads, open(os.path.join(out, "numpy.jsonl")))}
def load(name):
    res = {}
    for r in json.load(open(os.path.join(out, name))):
        n = int(r["params"]["n"]); med = r["primaryMetric"]["scorePercentiles"]["50.0"]
        res[n] = 2 * n ** 3 / (med / 1e3) / 1e9
    return res
simd, portable = load("simd.json"), load("portable.json")
print("OpenBLAS:", next(iter(peer.values()))["blas"])
print(f"{'n':>6} {'OpenBLAS':>10} {'Tessera SIMD':>13} {'ratio':>6} {'portable':>9} {'ratio':>6}   (GFLOP/s from medians, 2 threads)")
for n in sorted(peer):
    p = peer[n]["gflops"]
    print(f"{n:>6} {p:>10.1f} {simd[n]:>13.1f} {simd[n]/p:>6.2f} {portable[n]:>9.1f} {portable[n]/p:>6.2f}")
PY
