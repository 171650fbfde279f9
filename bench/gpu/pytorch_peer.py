#!/usr/bin/env python3
"""The PyTorch peer of CimHil's CUDA Monte-Carlo (issue #21, docs/gpu.md): the straightforward per-chip loop.

    python3 bench/gpu/pytorch_peer.py MODEL.safetensors FASHION_MNIST_DIR [chips=200] [sigma=0.1]

Per chip: every weighted layer's weight gets Gaussian noise N(0, (sigma * max|W|)^2) (biases untouched), then the whole
10k test set runs as one batch on the GPU and the top-1 hits are counted. Prints images x chips per second (FP32; TF32 off,
as torch's default for matmul and cudnn.allow_tf32 set False) and the mean accuracy.
"""
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

# The repository's IDX reader (tools/fixtures); this script sits two folders below the root, in bench/gpu or .gpu/bench.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "fixtures"))
from check_checkpoint import read_idx  # noqa: E402


def forward(w, x):
    x = F.max_pool2d(F.relu(F.conv2d(x, w["conv1.weight"], w["conv1.bias"], padding=2)), 2)
    x = F.max_pool2d(F.relu(F.conv2d(x, w["conv2.weight"], w["conv2.bias"])), 2)
    x = torch.flatten(x, 1)
    x = F.relu(F.linear(x, w["fc1.weight"], w["fc1.bias"]))
    x = F.relu(F.linear(x, w["fc2.weight"], w["fc2.bias"]))
    return F.linear(x, w["fc3.weight"], w["fc3.bias"])


def main():
    model, data = sys.argv[1], sys.argv[2]
    chips = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    sigma = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    w0 = {k: v.to(dev, torch.float32) for k, v in load_file(model).items()}
    x = torch.from_numpy(read_idx(os.path.join(data, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0).unsqueeze(1).to(dev)
    y = torch.from_numpy(read_idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)).to(dev)
    weighted = [k for k in w0 if k.endswith(".weight")]
    gen = torch.Generator(device=dev).manual_seed(1)

    def chip():
        w = dict(w0)
        for k in weighted:
            w[k] = w0[k] + torch.randn(w0[k].shape, device=dev, generator=gen) * (sigma * w0[k].abs().max())
        return (forward(w, x).argmax(1) == y).sum()

    with torch.no_grad():
        nominal = (forward(w0, x).argmax(1) == y).float().mean().item()
        for _ in range(10):
            chip()
        torch.cuda.synchronize()
        t = time.perf_counter()
        hits = torch.stack([chip() for _ in range(chips)])
        torch.cuda.synchronize()
        seconds = time.perf_counter() - t
    rate = chips * x.shape[0] / seconds
    print(f"pytorch {torch.__version__} on {torch.cuda.get_device_name(0)}: LeNet-5, {chips} chips x {x.shape[0]} images, "
          f"gaussian:{sigma}: {rate / 1e6:.2f} M images x chips/s ({seconds:.3f} s); nominal {nominal:.4f}, "
          f"mean {hits.float().mean().item() / x.shape[0]:.4f}")


if __name__ == "__main__":
    main()
