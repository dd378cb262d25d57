#!/usr/bin/python3
"""F16 and BF16 as PyTorch 1.13 stores and computes them, for HalfPrecisionTest.

  /usr/bin/python3 tests/src/test/python/half_interop.py
      writes tests/src/test/resources/safetensors/half.safetensors (committed). The file is written with the
      format spelled out (u64 little-endian header length, JSON header, raw little-endian data, as
      safetensors_interop.py) and holds, for each of F16 and BF16:
        values          F32 [N]   the floats to convert: special values, ties, subnormals, overflow, randoms
        <t>.values      <t> [N]   PyTorch's conversion of them (values.to(dtype)): the bits Tessera must produce
        <t>.add/.mul    <t> [8,16]  a.to(t) + b.to(t), a.to(t) * b.to(t)
        <t>.tanh        <t> [8,16]  tanh(a.to(t)), in float, rounded to t
        <t>.matmul      <t> [8,4]   a.to(t) @ w.to(t), in float, rounded to t
        <t>.sum         <t> [16]    a.to(t).sum(0), in float, rounded to t
        <t>.softmax     <t> [8,16]  softmax(a.to(t), 1), in float, rounded to t
      with a [8,16], b [8,16] and w [16,4] as F32 tensors "a", "b", "w".
"""
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "safetensors", "half.safetensors")
NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def special_values():
    v = [0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 2.0 / 3, 65504.0, 65519.99, 65520.0, 65536.0, 1e5, -1e5,
         math.inf, -math.inf, math.nan, 6.103515625e-05, 6.0e-05, 2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -25,
         3 * 2.0 ** -26, 2.0 ** -26, 1e-8, -1e-7, 3.0e38, -3.4e38, 1e-40, 1.17549435e-38,
         1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -11 + 2.0 ** -20,
         255.5, 256.5, 257.0, 2049.0, 2051.0, 33.333, -7.77e-3]
    return torch.tensor(v, dtype=torch.float32)


def main():
    g = torch.Generator().manual_seed(15)
    randoms = torch.randn(200, generator=g) * torch.logspace(-6, 6, 200)
    values = torch.cat([special_values(), randoms.float()])
    a = torch.randn(8, 16, generator=g).float()
    b = torch.randn(8, 16, generator=g).float()
    w = torch.randn(16, 4, generator=g).float()
    tensors = {"values": values, "a": a, "b": b, "w": w}
    for t, key in ((torch.float16, "F16"), (torch.bfloat16, "BF16")):
        ah, bh, wh = a.to(t), b.to(t), w.to(t)
        tensors[key + ".values"] = values.to(t)
        tensors[key + ".add"] = ah + bh
        tensors[key + ".mul"] = ah * bh
        assert torch.equal(ah + bh, (a.to(t).float() + b.to(t).float()).to(t))
        # computed in float and rounded once, as Tessera does. For add, mul, tanh, sum and softmax that is what
        # PyTorch 1.13's own 16-bit CPU kernels give (checked below); its bf16 matmul is not: it rounds partial
        # sums to bf16 (e.g. -0.7383 where the float product is -0.7297, whose nearest bf16 is -0.7305).
        ops = {"tanh": torch.tanh, "matmul": lambda x: x @ (wh if x.dtype == t else wh.float()),
               "sum": lambda x: x.sum(0), "softmax": lambda x: torch.softmax(x, 1)}
        for name, f in ops.items():
            tensors[key + "." + name] = f(ah.float()).to(t)
            if t == torch.bfloat16 and name != "matmul":
                assert torch.equal(f(ah), tensors[key + "." + name]), name
    header, offset, blobs = {"__metadata__": {"format": "pt", "source": "half_interop.py"}}, 0, []
    for name, x in tensors.items():
        x = x.contiguous()
        raw = (x.view(torch.int16) if x.dtype in (torch.float16, torch.bfloat16) else x).numpy().astype("<" + x.numpy().dtype.str[1:] if x.dtype == torch.float32 else "<i2").tobytes()
        header[name] = {"dtype": NAMES[x.dtype], "shape": list(x.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text.encode()) % 8) % 8)
    with open(OUT, "wb") as f:
        f.write(struct.pack("<Q", len(text.encode())))
        f.write(text.encode())
        for raw in blobs:
            f.write(raw)
    print(f"wrote {os.path.normpath(OUT)}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
