"""Torch side of quantplay's model files: builds an nn.Module from a quantplay model.json
(docs/model-format.md; the reverse of python/quantplay_export.py, which writes one from a torch
model) and runs torch.ao.quantization's eager flow on it, giving a report shaped like
`quantplay quantize --json --dump`. Used by compare_torch.py.

Not a quantplay implementation: it only calls torch (2.15), so its numbers are the ground truth.
"""
import copy
from collections import OrderedDict

import torch
import torch.ao.quantization as tq
from torch import nn

OBSERVERS = {"minmax": tq.MinMaxObserver, "moving_average": tq.MovingAverageMinMaxObserver,
             "histogram": tq.HistogramObserver}


def build(node):
    """nn.Module for one spec node (Sequential children keep their names, so state_dict keys match)."""
    t = node["type"]
    if t == "Sequential":
        return nn.Sequential(OrderedDict((c["name"], build(c)) for c in node["children"]))
    if t == "Linear":
        return nn.Linear(node["in_features"], node["out_features"], bias=node.get("bias", True))
    if t == "Conv2d":
        return nn.Conv2d(node["in_channels"], node["out_channels"], node["kernel_size"], stride=node.get("stride", 1),
                         padding=node.get("padding", 0), bias=node.get("bias", True))
    if t in ("BatchNorm2d", "BatchNorm1d"):
        return getattr(nn, t)(node["num_features"], eps=node.get("eps", 1e-5), momentum=node.get("momentum", 0.1))
    if t == "Flatten":
        return nn.Flatten(node.get("start_dim", 1), node.get("end_dim", -1))
    if t == "Dropout":
        return nn.Dropout(node.get("p", 0.5))
    return {"ReLU": nn.ReLU, "QuantStub": tq.QuantStub, "DeQuantStub": tq.DeQuantStub, "Identity": nn.Identity}[t]()


def qconfig_for(name, observer=None, per_tensor=False):
    """The qconfig a name stands for; `observer` swaps the activation observer class (keeping
    every constructor argument of the qconfig's observer: dtype, qscheme, reduce_range, and
    quant_min/quant_max where the qconfig sets them, as default_qconfig's 0..127), `per_tensor`
    uses default_weight_observer for weights."""
    if name is None:
        return None
    qc = tq.default_qconfig if name == "default" else tq.get_default_qconfig(name)
    act, wt = qc.activation, qc.weight
    if observer:
        a = act()
        rng = {"quant_min": a.quant_min, "quant_max": a.quant_max} if a.has_customized_qrange else {}
        act = OBSERVERS[observer].with_args(dtype=a.dtype, qscheme=a.qscheme, reduce_range=a.reduce_range, **rng)
    if per_tensor:
        wt = tq.default_weight_observer
    return tq.QConfig(activation=act, weight=wt)


def set_qconfigs(model, node, observer, per_tensor, path=""):
    mod = model.get_submodule(path) if path else model
    if "qconfig" in node:
        mod.qconfig = qconfig_for(node["qconfig"], observer, per_tensor)
    for c in node.get("children", []):
        set_qconfigs(model, c, observer, per_tensor, f"{path}.{c['name']}" if path else c["name"])


def load(spec, state_dict):
    model = build(spec["model"])
    model.load_state_dict(state_dict, strict=False)
    return model.eval()


def torch_report(spec, state_dict, calib, x_eval, y_eval=None, qconfig=None, observer=None, per_tensor=False,
                 fuse=True, calib_batch=32, engine="x86"):
    """torch.ao.quantization.quantize() on the model, with the report fields quantplay prints."""
    torch.backends.quantized.engine = engine
    spec = copy.deepcopy(spec)
    if qconfig is not None:
        spec["model"]["qconfig"] = qconfig
    spec["model"].setdefault("qconfig", "x86")
    model = load(spec, state_dict)
    if fuse and spec.get("fuse"):
        model = tq.fuse_modules(model, spec["fuse"])
    set_qconfigs(model, spec["model"], observer, per_tensor)

    def run_fn(m, data):
        with torch.no_grad():
            for i in range(0, data.shape[0], calib_batch):
                m(data[i:i + calib_batch])

    q = tq.quantize(model, run_fn, [calib])
    codes = {}
    first_deq = next(m for m in q.modules() if type(m).__name__ == "DeQuantize")

    def keep(mod, inputs):
        codes["out"] = inputs[0].int_repr()
    first_deq.register_forward_pre_hook(keep)
    with torch.no_grad():
        out, fout = q(x_eval), model(x_eval)
    report = {"layers": [], "output_codes": codes["out"].reshape(-1).tolist(), "output": out.reshape(-1).tolist()}
    for name, m in q.named_modules():
        kind = type(m).__name__
        if kind == "Quantize":
            report["input"] = {"scale": float(m.scale), "zero_point": int(m.zero_point)}
        elif hasattr(m, "scale"):
            layer = {"name": name, "kind": "Quantized" + kind, "weight_qscheme": None, "weight_scale": [],
                     "weight_zero_point": [], "output_scale": float(m.scale), "output_zero_point": int(m.zero_point)}
            if callable(getattr(m, "weight", None)):
                w = m.weight()
                layer["weight_qscheme"] = str(w.qscheme()).replace("torch.", "")
                if w.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
                    layer["weight_scale"] = w.q_per_channel_scales().float().tolist()
                    layer["weight_zero_point"] = w.q_per_channel_zero_points().tolist()
                else:
                    layer["weight_scale"], layer["weight_zero_point"] = [float(w.q_scale())], [w.q_zero_point()]
                layer["weight_codes"] = w.int_repr().reshape(-1).tolist()
            report["layers"].append(layer)
    if y_eval is not None:
        pi, pf = out.argmax(1), fout.argmax(1)
        y = y_eval.long()
        report["accuracy"] = {"float": (pf == y).float().mean().item(), "int8": (pi == y).float().mean().item(),
                              "agreement": (pi == pf).float().mean().item()}
    return report
