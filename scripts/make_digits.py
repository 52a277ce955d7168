#!/usr/bin/env python3
"""Converts scikit-learn's 8x8 digits (1797 samples, BSD licence; originally the UCI ML
hand-written digits, test set) into crate/data/digits.bin, the compact file the crate embeds.

Format: 1797 records of 65 bytes: 64 pixel intensities (0..16, row-major 8x8) then the label
(0..9). Run once with a venv that has scikit-learn:
    .venv/bin/pip install scikit-learn && .venv/bin/python scripts/make_digits.py
"""
import pathlib

import numpy as np
from sklearn.datasets import load_digits

d = load_digits()
x = d.data.astype(np.uint8)
assert x.shape == (1797, 64) and x.max() <= 16
y = d.target.astype(np.uint8)
out = pathlib.Path(__file__).resolve().parent.parent / "crate" / "data" / "digits.bin"
out.write_bytes(np.concatenate([x, y[:, None]], axis=1).tobytes())
print(f"wrote {out} ({out.stat().st_size} bytes); class counts {np.bincount(y).tolist()}")
