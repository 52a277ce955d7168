#!/usr/bin/env python3
"""PyTorch side of quantplay's native benchmark: the same line protocol as
`quantplay bench-worker`, one thread, so bench/run.mjs can alternate the two round by round.

Lines in: `setup NAME KIND M K N`, `run NAME`, `quit`. Lines out: `ready NAME`,
`ran NAME MS CHECKSUM` or `error MESSAGE`. Kinds: f32_gemm (torch.mm), int8_gemm (not offered:
torch has no public u8 x i8 -> i32 GEMM; answers with an error), qlinear_per_tensor /
qlinear_per_channel (torch.ops.quantized.linear, engine fbgemm, prepacked weight, float bias),
ptq_minmax / ptq_histogram (`setup NAME ptq_minmax B NB 0`: torch.ao.quantization.quantize() of
a fused MLP 784-256-256-10 calibrated with NB batches of B samples, engine x86; minmax =
default_qconfig (MinMaxObserver), histogram = get_default_qconfig("x86"); each run is the whole
quantize(): deepcopy, prepare, calibration, convert); train_fp32 / train_16mixed (`setup NAME
train_fp32 B 0 0`: one training step of an MLP 784-256-256-10 on a fixed batch of B samples:
forward, F.cross_entropy, backward, SGD(lr=0.01, momentum=0.9); 16-mixed runs the forward and
loss under torch.autocast("cpu", dtype=torch.float16) with torch.amp.GradScaler("cpu"), as
torch's AMP recipe does; the checksum is the loss).

`python bench/torch_worker.py --ptq [ROUNDS]` times the two PTQ workloads (256 x 8) alone and
prints their medians.

Needs a venv with torch: `bash scripts/fixtures` creates .venv (or: python3 -m venv .venv &&
.venv/bin/pip install torch numpy).
"""
import sys
import time

import warnings

import torch

warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)  # torch.ao.quantization notices

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
    if kind in ("ptq_minmax", "ptq_histogram"):
        return ptq_setup(kind, m, k)
    if kind in ("train_fp32", "train_16mixed"):
        return train_setup(kind, m)
    raise ValueError(f"no torch workload {kind}")


def ptq_setup(kind, batch, nbatch):
    """quantize() of a fused MLP 784-256-256-10 over nbatch calibration batches of batch rows."""
    from collections import OrderedDict

    import torch.ao.quantization as tq
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(OrderedDict([
        ("quant", tq.QuantStub()), ("fc1", nn.Linear(784, 256)), ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(256, 256)), ("relu2", nn.ReLU()), ("fc3", nn.Linear(256, 10)),
        ("dequant", tq.DeQuantStub())])).eval()
    model = tq.fuse_modules(model, [["fc1", "relu1"], ["fc2", "relu2"]])
    model.qconfig = tq.default_qconfig if kind == "ptq_minmax" else tq.get_default_qconfig("x86")
    calib = [torch.rand(batch, 784, generator=g) for _ in range(nbatch)]
    torch.backends.quantized.engine = "x86"

    def run_fn(m, batches):
        with torch.no_grad():
            for b in batches:
                m(b)

    def run():
        q = tq.quantize(model, run_fn, [calib])
        return float(q.fc1.scale) + q.fc3.zero_point
    return run


def train_setup(kind, batch):
    """One training step of an MLP 784-256-256-10 on a fixed batch (fp32 or 16-mixed)."""
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(batch, 784, generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)
    if kind == "train_fp32":
        def run():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return float(loss)
        return run
    scaler = torch.amp.GradScaler("cpu")

    def run_mixed():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.float16):
            loss = F.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return float(loss)
    return run_mixed


def ptq_main(rounds):
    for kind in ("ptq_minmax", "ptq_histogram"):
        run = ptq_setup(kind, 256, 8)
        run()  # warm-up
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            run()
            times.append((time.perf_counter() - t) * 1e3)
        times.sort()
        print(f"{kind}: median {times[len(times) // 2]:.2f} ms over {rounds} rounds "
              f"(min {times[0]:.2f}, max {times[-1]:.2f}; torch {torch.__version__}, 1 thread)", flush=True)


if sys.argv[1:2] == ["--ptq"]:
    ptq_main(int(sys.argv[2]) if len(sys.argv) > 2 else 15)
    sys.exit(0)


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
