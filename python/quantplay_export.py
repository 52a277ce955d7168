#!/usr/bin/env python3
"""PyTorch -> quantplay in one call: `export(model, example_input, out_dir)` writes the two
files `quantplay quantize` reads (docs/model-format.md): `model.json` (format
quantplay-model/1) and `model.safetensors` (the state_dict, keyed as torch keys it).

How the model is read: `torch.fx.symbolic_trace` (a tracer that keeps QuantStub / DeQuantStub
as leaves), then the graph must be a chain: one input, each node's value used once, by the next
node, ending in the output. Supported nodes:

- modules (`call_module`): Linear, Conv2d, BatchNorm1d, BatchNorm2d, ReLU, MaxPool2d, Flatten,
  Dropout, Identity, QuantStub, DeQuantStub, reached directly or through Sequentials and custom
  modules (whose `forward` fx inlines); each becomes an entry at its `named_modules()` path, so
  a container becomes a `Sequential` node whose children run in the order the forward calls them;
- calls (`call_function`): `torch.flatten(x, start_dim=0, end_dim=-1)` becomes a `Flatten`
  entry, `F.relu(x)` / `torch.relu(x)` a `ReLU` entry. A call's entry is named after its fx node
  (`relu`, `relu_1`, `flatten`: fx numbers repeats) and sits in the module whose forward made
  the call; when that name is already an attribute there, `_2`, `_3`, ... is appended.

Anything else (another module type, another call such as `torch.cat`, a method call such as
`x.view`, a value used twice as in a residual add, a module called twice, a container whose
children are called out of their containment) raises ValueError naming the node and its
op/target.

`qconfig=` is the root's qconfig name (`"x86"`, `"fbgemm"`, `"qnnpack"`, `"onednn"`,
`"default"`), or a dict {module path: name or None} (`""` is the root); a module's own
`module.qconfig` attribute is carried too (None as `"qconfig": null`, a torch QConfig as the
name whose qconfig prints the same). `fuse=` is the list of fuse groups (module paths, as
`torch.ao.quantization.fuse_modules` takes them), checked against the exported tree.

Not a converter of quantized models (the model is float; quantplay quantizes it) and not a
general graph exporter. CLI: `python python/quantplay_export.py pkg.module:factory OUT_DIR
SHAPE` (SHAPE like 1,8,8: one sample; factory() returns the model).
"""
import importlib
import json
import pathlib
import sys

import torch
import torch.ao.quantization as tq
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

FORMAT = "quantplay-model/1"
QCONFIG_NAMES = ("default", "x86", "fbgemm", "qnnpack", "onednn")
MODULES = (nn.Linear, nn.Conv2d, nn.BatchNorm1d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Dropout,
           nn.Identity, tq.QuantStub, tq.DeQuantStub)
CALLS = {torch.flatten: "Flatten", F.relu: "ReLU", torch.relu: "ReLU"}
SUPPORTED = ", ".join(t.__name__ for t in MODULES) + " (modules); torch.flatten, F.relu, torch.relu (calls)"


class _Tracer(fx.Tracer):
    """symbolic_trace's tracer, with the quant stubs kept as modules (fx would inline their
    identity forward, as they live outside torch.nn)."""

    def is_leaf_module(self, m, qualname):
        return isinstance(m, (tq.QuantStub, tq.DeQuantStub)) or super().is_leaf_module(m, qualname)


def _scalar(v):
    """An int for a square pair, else a list (the spec's int-or-pair fields)."""
    if isinstance(v, (tuple, list)):
        return int(v[0]) if len(set(v)) == 1 else [int(x) for x in v]
    return int(v)


def _bad(node, why, list_supported=False):
    more = f"; supported: {SUPPORTED}" if list_supported else ""
    return ValueError(f"quantplay export: node `{node.name}` ({node.op} {_target(node)}): {why}{more}")


def _target(node):
    """`torch.cat`, `torch.nn.functional.relu`, a module path or a method name."""
    t = node.target
    if isinstance(t, str):
        return t
    return f"{getattr(t, '__module__', None) or 'torch'}.{getattr(t, '__name__', t)}"


def module_entry(node, m):
    """The spec fields of one supported module (torch's constructor names)."""
    if isinstance(m, nn.Linear):
        return {"type": "Linear", "in_features": m.in_features, "out_features": m.out_features, "bias": m.bias is not None}
    if isinstance(m, nn.Conv2d):
        if isinstance(m.padding, str) or m.padding_mode != "zeros":
            raise _bad(node, f"Conv2d padding={m.padding!r}, padding_mode={m.padding_mode!r}; only integer "
                             "padding with padding_mode='zeros'")
        return {"type": "Conv2d", "in_channels": m.in_channels, "out_channels": m.out_channels,
                "kernel_size": _scalar(m.kernel_size), "stride": _scalar(m.stride), "padding": _scalar(m.padding),
                "dilation": _scalar(m.dilation), "groups": m.groups, "bias": m.bias is not None}
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if not m.track_running_stats or m.momentum is None:
            raise _bad(node, f"{type(m).__name__} with track_running_stats={m.track_running_stats}, "
                             f"momentum={m.momentum}; only running statistics with a momentum")
        return {"type": type(m).__name__, "num_features": m.num_features, "eps": m.eps, "momentum": m.momentum,
                "affine": m.affine}
    if isinstance(m, nn.MaxPool2d):
        if m.return_indices:
            raise _bad(node, "MaxPool2d with return_indices=True; only return_indices=False")
        return {"type": "MaxPool2d", "kernel_size": _scalar(m.kernel_size),
                "stride": _scalar(m.stride if m.stride is not None else m.kernel_size), "padding": _scalar(m.padding),
                "dilation": _scalar(m.dilation), "ceil_mode": bool(m.ceil_mode)}
    if isinstance(m, nn.Flatten):
        return {"type": "Flatten", "start_dim": m.start_dim, "end_dim": m.end_dim}
    if isinstance(m, nn.Dropout):
        return {"type": "Dropout", "p": m.p}
    return {"type": type(m).__name__}  # ReLU, Identity, QuantStub, DeQuantStub (exact classes: see _check_type)


def _check_type(node, m):
    if type(m) not in MODULES:
        raise _bad(node, f"module type {type(m).__module__}.{type(m).__name__} is not supported", True)


def call_entry(node):
    """(type, fields) for a supported call; its tensor argument is node.args[0]."""
    kind = CALLS.get(node.target)
    if kind is None:
        raise _bad(node, "this call is not supported", True)
    names = ("input", "start_dim", "end_dim") if kind == "Flatten" else ("input", "inplace")
    args = dict(zip(names, node.args))
    extra = set(node.kwargs) - set(names)
    if len(node.args) > len(names) or extra or set(args) & set(node.kwargs):
        raise _bad(node, f"arguments {node.args[1:]} {node.kwargs} do not fit {', '.join(names)}")
    args.update(node.kwargs)
    for k, v in args.items():
        if k != "input" and isinstance(v, fx.Node):
            raise _bad(node, f"argument `{k}` is a traced value ({v.name}); only constants")
    if kind == "Flatten":  # torch.flatten defaults to start_dim=0, unlike nn.Flatten
        return {"type": "Flatten", "start_dim": int(args.get("start_dim", 0)), "end_dim": int(args.get("end_dim", -1))}
    return {"type": "ReLU"}


def _chain(graph):
    """The graph's nodes between input and output, checked to form a chain."""
    nodes = list(graph.nodes)
    inputs = [n for n in nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        raise _bad(inputs[1] if inputs else nodes[0], f"the graph has {len(inputs)} inputs; only one")
    for n in nodes:  # a join (residual add, cat, x.view(x.size(0), -1)) is named, not its inputs
        if len(n.all_input_nodes) > 1:
            raise _bad(n, f"it joins {len(n.all_input_nodes)} values ({', '.join(a.name for a in n.all_input_nodes)}); "
                          "a chain node takes one", n.op != "output")
    prev, chain = inputs[0], []
    for n in nodes[1:]:
        if n.op == "get_attr":
            raise _bad(n, "reading a parameter or buffer in forward is not supported")
        if n.all_input_nodes != [prev]:
            raise _bad(n, f"its inputs are {[a.name for a in n.all_input_nodes]}; a chain node takes only "
                          f"the value before it, `{prev.name}`")
        if n.op in ("call_method", "call_function") and n.target not in CALLS:
            raise _bad(n, "this call is not supported", True)
        if len(prev.users) != 1:
            raise _bad(prev, f"its value is used {len(prev.users)} times ({', '.join(u.name for u in prev.users)}); "
                             "a chain uses each value once, by the next node")
        if n.op == "output":
            return chain
        chain.append(n)
        prev = n
    raise ValueError("quantplay export: the graph has no output")


def _container(tree, path, node):
    """The tree node of Sequential `path` (created in call order), checking contiguity."""
    cur = tree
    for part in [p for p in path.split(".") if p]:
        last = cur["children"][-1] if cur["children"] else None
        if last is not None and last["name"] == part and last["type"] == "Sequential" and not last.get("_closed"):
            cur = last
            continue
        if any(c["name"] == part for c in cur["children"]):
            raise _bad(node, f"module `{path}` runs again after other modules; each container's children must "
                             "run together, once")
        for c in cur["children"]:
            c["_closed"] = True
        nxt = {"name": part, "type": "Sequential", "children": []}
        cur["children"].append(nxt)
        cur = nxt
    for c in cur["children"]:  # what follows in this container closes the children before it
        c["_closed"] = True
    return cur


def _qconfig_name(path, qc):
    if qc is None:
        return None
    if isinstance(qc, str) and qc in QCONFIG_NAMES:
        return qc
    for name in QCONFIG_NAMES:
        ref = tq.default_qconfig if name == "default" else tq.get_default_qconfig(name)
        if repr(ref) == repr(qc):
            return name
    raise ValueError(f"quantplay export: module `{path or '<root>'}` has qconfig {qc!r}, which is none of "
                     f"quantplay's named qconfigs; valid: {', '.join(QCONFIG_NAMES)} or None")


def build_spec(model, example_input, qconfig=None, fuse=None):
    """The model.json object for `model` (see the module doc), and the state_dict prefixes it uses."""
    gm = fx.GraphModule(model, _Tracer().trace(model))
    modules = dict(model.named_modules())
    tree = {"type": "Sequential", "children": []}
    leaves = []
    for node in _chain(gm.graph):
        if node.op == "call_module":
            m = modules[node.target]
            _check_type(node, m)
            parent, _, name = node.target.rpartition(".")
            box = _container(tree, parent, node)
            if any(c["name"] == name for c in box["children"]):
                raise _bad(node, f"module `{node.target}` is called twice; each module runs once")
            box["children"].append({"name": name, **module_entry(node, m)})
            leaves.append(node.target)
        else:
            stack = list(node.meta.get("nn_module_stack", {}).values())
            parent = stack[-1][0] if stack else ""
            box = _container(tree, parent, node)
            owner = modules[parent]
            name, k = node.name, 1
            while hasattr(owner, name) or any(c["name"] == name for c in box["children"]):
                k += 1
                name = f"{node.name}_{k}"
            box["children"].append({"name": name, **call_entry(node)})
    _strip(tree)
    paths = _paths(tree)
    for p, m in modules.items():
        if p in paths and hasattr(m, "qconfig"):
            paths[p]["qconfig"] = _qconfig_name(p, m.qconfig)
    extra = qconfig if isinstance(qconfig, dict) else ({} if qconfig is None else {"": qconfig})
    for p, qc in extra.items():
        if p not in paths:
            raise ValueError(f"quantplay export: qconfig for `{p}`, which is not a module of the export; "
                             f"valid paths: {', '.join(repr(k) for k in paths)}")
        paths[p]["qconfig"] = _qconfig_name(p, qc)
    for group in fuse or []:
        for p in group:
            if not p or p not in paths:
                raise ValueError(f"quantplay export: fuse group {list(group)} names `{p}`, not a module of the "
                                 f"export; valid paths: {', '.join(k for k in paths if k)}")
    spec = {"format": FORMAT, "input_shape": list(example_input.shape[1:]), "model": _ordered(tree)}
    if fuse:
        spec["fuse"] = [list(g) for g in fuse]
    return spec, leaves


def _strip(node):
    """Drops the builder's marks (in place)."""
    node.pop("_closed", None)
    for c in node.get("children", []):
        _strip(c)


def _ordered(node):
    """name, type, qconfig first, children last: the order docs/model-format.md writes."""
    head = {k: node[k] for k in ("name", "type", "qconfig") if k in node}
    rest = {k: v for k, v in node.items() if k not in head and k != "children"}
    out = {**head, **rest}
    if "children" in node:
        out["children"] = [_ordered(c) for c in node["children"]]
    return out


def _paths(node, path="", out=None):
    out = {} if out is None else out
    out[path] = node
    for c in node.get("children", []):
        _paths(c, f"{path}.{c['name']}" if path else c["name"], out)
    return out


def export(model, example_input, out_dir, qconfig=None, fuse=None):
    """Writes out_dir/model.json and out_dir/model.safetensors for `model` (a float nn.Module;
    `example_input` one batch, whose shape without the batch dimension becomes input_shape).
    Runs the model on the example once, so a shape mismatch fails here. Returns the spec."""
    from safetensors.torch import save_file

    spec, leaves = build_spec(model, example_input, qconfig, fuse)
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(example_input)
    except RuntimeError as e:
        raise ValueError(f"quantplay export: the model does not run on example_input of shape "
                         f"{list(example_input.shape)} (batch first): {e}") from e
    finally:
        model.train(was)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()
             if any(k.startswith(p + ".") for p in leaves)}
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.json").write_text(json.dumps(spec, indent=2) + "\n")
    save_file(state, str(out / "model.safetensors"))
    return spec


def main(argv):
    if len(argv) != 3 or ":" not in argv[0]:
        sys.exit("usage: python python/quantplay_export.py pkg.module:factory OUT_DIR SHAPE   (SHAPE: 1,8,8)")
    mod, _, fn = argv[0].partition(":")
    sys.path.insert(0, ".")
    model = getattr(importlib.import_module(mod), fn)()
    shape = [int(s) for s in argv[2].split(",")]
    export(model, torch.zeros(1, *shape), argv[1])
    print(f"wrote {argv[1]}/model.json, {argv[1]}/model.safetensors")


if __name__ == "__main__":
    main(sys.argv[1:])
