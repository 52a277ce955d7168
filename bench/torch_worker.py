#!/usr/bin/env python3
"""PyTorch side of quantplay's native benchmark: the same line protocol as
`quantplay bench-worker`, one thread, so bench/run.mjs can alternate the two round by round.

Lines in: `setup NAME KIND M K N`, `run NAME`, `quit`. Lines out: `ready NAME`,
`ran NAME MS CHECKSUM` or `error MESSAGE`. Kinds: f32_gemm (torch.mm), int8_gemm (not offered:
torch has no public u8 x i8 -> i32 GEMM; answers with an error), qlinear_per_tensor /
qlinear_per_channel (torch.ops.quantized.linear, engine fbgemm, prepacked weight, float bias).

Needs a venv with torch: `bash scripts/fixtures` creates .venv (or: python3 -m venv .venv &&
.venv/bin/pip install torch numpy).
"""
import sys
import time

import warnings

import torch

warnings.filterwarnings("ignore", category=UserWarning)

torch.set_num_threads(1)
torch.backends.quantized.engine = "fbgemm"
g = torch.Generator().manual_seed(42)
loads = {}


def setup(kind, m, k, n):
    if kind == "f32_gemm":
        a = torch.rand(m, k, generator=g) * 2 - 1
        b = torch.rand(k, n, generator=g) * 2 - 1
        return lambda: float(torch.mm(a, b).sum())
    if kind in ("qlinear_per_tensor", "qlinear_per_channel"):
        x = torch.quantize_per_tensor(torch.rand(m, k, generator=g) * 4 - 2, 0.02, 128, torch.quint8)
        w = torch.rand(n, k, generator=g) * 0.6 - 0.3
        if kind == "qlinear_per_tensor":
            wq = torch.quantize_per_tensor(w, 0.003, 0, torch.qint8)
        else:
            scales = torch.tensor([0.002 + 1e-5 * j for j in range(n)], dtype=torch.float64)
            wq = torch.quantize_per_channel(w, scales, torch.zeros(n, dtype=torch.long), 0, torch.qint8)
        packed = torch.ops.quantized.linear_prepack(wq, torch.rand(n, generator=g) * 0.2 - 0.1)
        return lambda: float(torch.ops.quantized.linear(x, packed, 0.5, 128).int_repr().sum())
    raise ValueError(f"no torch workload {kind}")


for line in sys.stdin:
    words = line.split()
    try:
        if words[:1] == ["setup"] and len(words) == 6:
            name, kind, m, k, n = words[1], words[2], *map(int, words[3:])
            loads[name] = setup(kind, m, k, n)
            reply = f"ready {name}"
        elif words[:1] == ["run"] and len(words) == 2:
            t = time.perf_counter()
            s = loads[words[1]]()
            reply = f"ran {words[1]} {(time.perf_counter() - t) * 1e3} {s}"
        elif words[:1] == ["quit"]:
            break
        else:
            reply = f"error bad command {line.strip()!r}"
    except Exception as e:  # report, keep serving
        reply = f"error {e}"
    print(reply, flush=True)
