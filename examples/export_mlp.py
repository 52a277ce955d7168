#!/usr/bin/env python3
"""Trains a tiny MLP on scikit-learn's digits (seeded, a few epochs) and writes the four files
`quantplay quantize` reads: model.json (docs/model-format.md) and model.safetensors (the
state_dict), both by python/quantplay_export.py's `export()`, then calib.safetensors (x) and
eval.safetensors (x, y). docs/quantize-example.md walks through it.

Usage: python examples/export_mlp.py [OUT_DIR]   (default: mlp-digits/)
Needs torch, scikit-learn and safetensors. Not the comparison (compare_torch.py).
"""
import pathlib
import sys
from collections import OrderedDict

import torch
import torch.ao.quantization as tq
import torch.nn.functional as F
from safetensors.torch import save_file
from sklearn.datasets import load_digits
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python"))
from quantplay_export import export  # noqa: E402

FUSE = [["fc1", "relu1"], ["fc2", "relu2"]]


def mlp():
    """The 64-32-16-10 MLP, with the stubs eager-mode quantization needs (identities in float)."""
    return nn.Sequential(OrderedDict(
        quant=tq.QuantStub(), fc1=nn.Linear(64, 32), relu1=nn.ReLU(), fc2=nn.Linear(32, 16), relu2=nn.ReLU(),
        fc3=nn.Linear(16, 10), dequant=tq.DeQuantStub()))


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32) / 16.0  # (1797, 64) in [0, 1]
    y = torch.tensor(digits.target, dtype=torch.int64)
    perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(1))
    x, y = x[perm], y[perm]
    train, calib, ev = slice(0, 1297), slice(1297, 1553), slice(1553, 1797)  # 1297 / 256 / 244 samples

    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    xt, yt = x[train], y[train]
    for epoch in range(5):
        for i in range(0, xt.shape[0], 64):
            opt.zero_grad()
            loss = F.cross_entropy(model(xt[i:i + 64]), yt[i:i + 64])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(x[ev]).argmax(1) == y[ev]).float().mean().item()
        model.train()
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}, eval accuracy {acc:.4f}")

    export(model, x[:1], out, qconfig="x86", fuse=FUSE)  # model.json + model.safetensors
    save_file({"x": x[calib].contiguous()}, str(out / "calib.safetensors"))
    save_file({"x": x[ev].contiguous(), "y": y[ev].contiguous()}, str(out / "eval.safetensors"))
    print(f"wrote {out}/model.json, model.safetensors, calib.safetensors (x {list(x[calib].shape)}), "
          f"eval.safetensors (x {list(x[ev].shape)}, y int64)")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "mlp-digits"))
