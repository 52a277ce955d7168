#!/usr/bin/env python3
"""Runs torch.ao.quantization.quantize() on the files export_mlp.py wrote and compares it with
quantplay's report (`quantplay quantize ... --json --dump > quantplay.json`): per layer the
weight qscheme, scales, zero points and int8 codes, the output scale / zero point, the input
qparams, the output codes and the dequantized output on the eval set. Prints a table; exits 1 on
any mismatch (exact: scales compared as f32, codes as ints), 0 when all agree.

Usage:
  python examples/compare_torch.py DIR quantplay.json [--qconfig x86] [--observer minmax]
         [--per-tensor] [--no-fuse] [--calib-batch 32]
Use the same options as the quantplay run (and its calibration batch size: quantplay's default
is 32 samples per batch; it matters for the moving-average and histogram observers).
Not a test of quantplay's internals: only its JSON output is read.
"""
import argparse
import json
import pathlib
import sys
import warnings

import numpy as np
from safetensors.torch import load_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from qp_torch import torch_report  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)  # torch.ao deprecation notices


def f32(v):
    return np.asarray(v, dtype=np.float32)


def same_f32(a, b):
    a, b = f32(a), f32(b)
    return a.shape == b.shape and bool(np.array_equal(a.view(np.uint32), b.view(np.uint32)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", type=pathlib.Path)
    ap.add_argument("quantplay_json", type=pathlib.Path)
    ap.add_argument("--qconfig", default=None)
    ap.add_argument("--observer", default=None, choices=["minmax", "moving_average", "histogram"])
    ap.add_argument("--per-tensor", action="store_true")
    ap.add_argument("--no-fuse", action="store_true")
    ap.add_argument("--calib-batch", type=int, default=32)
    a = ap.parse_args()

    spec = json.loads((a.dir / "model.json").read_text())
    state = load_file(str(a.dir / "model.safetensors"))
    calib = load_file(str(a.dir / "calib.safetensors"))["x"].float()
    ev = load_file(str(a.dir / "eval.safetensors"))
    t = torch_report(spec, state, calib, ev["x"].float(), ev.get("y"), qconfig=a.qconfig, observer=a.observer,
                     per_tensor=a.per_tensor, fuse=not a.no_fuse, calib_batch=a.calib_batch)
    q = json.loads(a.quantplay_json.read_text())

    bad = 0
    row = "{:<8} {:<20} {:<22} {:>8} {:>6} {:>8} {:>9} {:>7}"
    print(row.format("layer", "kind", "weight_qscheme", "w_scale", "w_zp", "w_codes", "out_scale", "out_zp"))
    ok = lambda c: "ok" if c else "DIFF"  # noqa: E731
    # The QuantStubs' Quantize entries are checked below as `input` (torch lists only the ops).
    qlayers = {l["name"]: l for l in q.get("layers", []) if l["kind"] != "Quantize"}
    for tl in t["layers"]:
        ql = qlayers.get(tl["name"])
        if ql is None:
            print(f"{tl['name']:<8} missing in quantplay's report")
            bad += 1
            continue
        checks = [ql["kind"] == tl["kind"], (ql.get("weight_qscheme") or None) == tl["weight_qscheme"],
                  same_f32(ql.get("weight_scale", []), tl["weight_scale"]),
                  list(ql.get("weight_zero_point", [])) == tl["weight_zero_point"],
                  "weight_codes" not in tl or list(ql.get("weight_codes") or []) == tl["weight_codes"],
                  same_f32([ql["output_scale"]], [tl["output_scale"]]),
                  ql["output_zero_point"] == tl["output_zero_point"]]
        bad += checks.count(False)
        print(row.format(tl["name"], tl["kind"] if checks[0] else f"{ql['kind']}!={tl['kind']}",
                         str(tl["weight_qscheme"]) if checks[1] else "DIFF", *[ok(c) for c in checks[2:]]))
    extra = set(qlayers) - {l["name"] for l in t["layers"]}
    if extra:
        print("only in quantplay's report:", sorted(extra))
        bad += len(extra)

    inp = same_f32([q["input"]["scale"]], [t["input"]["scale"]]) and q["input"]["zero_point"] == t["input"]["zero_point"]
    print(f"input  scale {t['input']['scale']:.9g} zero_point {t['input']['zero_point']}: {ok(inp)}")
    bad += not inp
    if "output_codes" in q:
        qc, tc = np.asarray(q["output_codes"]), np.asarray(t["output_codes"])
        n = int((qc != tc).sum()) if qc.shape == tc.shape else -1
        print(f"output codes: {'shape differs' if n < 0 else f'{n} of {tc.size} differ'}"
              + ("" if n <= 0 else f" (max |diff| {int(np.abs(qc - tc).max())})"))
        bad += n != 0
        out_same = same_f32(q["output"], t["output"])
        print(f"dequantized output: {ok(out_same)}")
        bad += not out_same
    else:
        print("no output_codes in quantplay's report (run it with --dump to compare codes)")
    if "accuracy" in t:
        qa = q.get("accuracy") or {}
        print(f"accuracy  float: torch {t['accuracy']['float']:.4f} quantplay {qa.get('float', float('nan')):.4f}   "
              f"int8: torch {t['accuracy']['int8']:.4f} quantplay {qa.get('int8', float('nan')):.4f}")
        # torch averages in float32 (~1e-8 off the exact fraction); quantplay reports the exact fraction
        bad += abs(qa.get("float", -1) - t["accuracy"]["float"]) > 1e-6 or abs(qa.get("int8", -1) - t["accuracy"]["int8"]) > 1e-6
    print("all equal" if bad == 0 else f"{bad} mismatch(es)")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
