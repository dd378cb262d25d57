#!/usr/bin/python3
"""Safetensors interop between Python and Tessera, with the format written and read directly (numpy + json),
as https://github.com/huggingface/safetensors specifies it: u64 little-endian header length, JSON header,
raw little-endian data.

  /usr/bin/python3 tests/src/test/python/safetensors_interop.py write
      writes tests/src/test/resources/safetensors/python.safetensors (committed; SafeTensorsTest loads it and
      checks that Tessera writes the same bytes for the same tensors)
  /usr/bin/python3 tests/src/test/python/safetensors_interop.py check FILE
      reads FILE (e.g. one Tessera wrote) and checks it holds the tensors below, value for value
"""
import json
import os
import struct
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "safetensors", "python.safetensors")
TENSORS = {
    "weight": np.arange(6, dtype=np.float32).reshape(2, 3) * np.float32(0.5) - np.float32(1),
    "bias": np.array([0.1, -0.2, 1e-300], dtype=np.float64),
    "labels": np.array([0, -1, 7, 2147483647], dtype=np.int32),
    "empty": np.zeros((0, 2), dtype=np.float32),
}
METADATA = {"format": "pt", "source": "safetensors_interop.py"}
DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32}
NAMES = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int32): "I32"}


def write(path):
    header, offset = {"__metadata__": METADATA}, 0
    for name, t in TENSORS.items():
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text.encode()) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text.encode())))
        f.write(text.encode())
        for t in TENSORS.values():
            f.write(t.astype(t.dtype.newbyteorder("<")).tobytes())
    print(f"wrote {os.path.normpath(path)}")


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    out = {}
    for name, spec in header.items():
        b, e = spec["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=np.dtype(DTYPES[spec["dtype"]]).newbyteorder("<")).reshape(spec["shape"])
    return out, meta


def check(path):
    got, meta = read(path)
    assert list(got) == list(TENSORS), f"names {list(got)} != {list(TENSORS)}"
    for name, want in TENSORS.items():
        assert got[name].dtype == want.dtype and got[name].shape == want.shape, name
        assert np.array_equal(got[name], want), f"{name}: {got[name]} != {want}"
    print(f"{path}: {len(got)} tensors equal, metadata {meta}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["write"]:
        write(OUT)
    elif sys.argv[1:2] == ["check"] and len(sys.argv) == 3:
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
