#!/usr/bin/env python3
"""The PyTorch peer of CimHil's CUDA Monte-Carlo (issue #21, docs/gpu.md): the straightforward per-chip loop.

    python3 bench/gpu/pytorch_peer.py MODEL FASHION_MNIST_DIR [chips=200] [sigma=0.1]

MODEL: LeNet-5 as safetensors (models/lenet5-fmnist.safetensors), or the residual ONNX fixture
(tests/fixtures/onnx/residual-cnn.onnx: its initializers read from the file with a few lines of protobuf below, the network
re-defined in torch as make_onnx_fixtures.py's ResidualCnn, BatchNorm in inference mode). Per chip: every weighted layer's
weight (Conv, Linear; not BatchNorm's) gets Gaussian noise N(0, (sigma * max|W|)^2) (biases untouched), then the whole
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


def onnx_initializers(path):
    """name -> float32 array of an ONNX file's graph initializers (ModelProto.graph = 7, GraphProto.initializer = 5;
    TensorProto dims = 1, float_data = 4, name = 8, raw_data = 9, as in onnx/onnx.proto), without the onnx package."""
    def fields(buf):
        i = 0
        while i < len(buf):
            key, i = varint(buf, i)
            num, wire = key >> 3, key & 7
            if wire == 0:
                value, i = varint(buf, i)
            elif wire == 1:
                value, i = buf[i:i + 8], i + 8
            elif wire == 5:
                value, i = buf[i:i + 4], i + 4
            elif wire == 2:
                n, i = varint(buf, i)
                value, i = buf[i:i + n], i + n
            else:
                raise ValueError(f"{path}: wire type {wire}")
            yield num, wire, value

    def varint(buf, i):
        v, shift = 0, 0
        while True:
            b = buf[i]
            i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v, i

    def packed(buf):
        i, out = 0, []
        while i < len(buf):
            v, i = varint(buf, i)
            out.append(v)
        return out

    data = open(path, "rb").read()
    graph = next(v for n, w, v in fields(data) if n == 7)
    result = {}
    for n, _, tensor in fields(graph):
        if n != 5:
            continue
        dims, name, values = [], None, None
        for tn, tw, tv in fields(tensor):
            if tn == 1:
                dims += packed(tv) if tw == 2 else [tv]
            elif tn == 8:
                name = tv.decode()
            elif tn in (4, 9):
                values = np.frombuffer(tv, dtype="<f4")
        result[name] = values.reshape(dims).copy()
    # The exporter writes a tensor equal to another once and the second as Identity of the first (NodeProto input = 1,
    # output = 2, op_type = 4), e.g. b2projbn.bias = Identity(b2bn2.bias) in the residual fixture.
    for n, _, node in fields(graph):
        if n == 1:
            f = [(tn, tv) for tn, _, tv in fields(node)]
            if (4, b"Identity") in f:
                src, dst = next(v for k, v in f if k == 1).decode(), next(v for k, v in f if k == 2).decode()
                if src in result:
                    result[dst] = result[src]
    return result


def residual_forward(w, x):
    def bn(x, p):
        return F.batch_norm(x, w[p + ".running_mean"], w[p + ".running_var"], w[p + ".weight"], w[p + ".bias"], False, 0.0, 1e-5)

    x = F.relu(bn(F.conv2d(x, w["conv1.weight"], padding=1), "bn1"))
    x = F.max_pool2d(x, 2)
    y = F.relu(bn(F.conv2d(x, w["b1conv1.weight"], padding=1), "b1bn1"))
    x = F.relu(bn(F.conv2d(y, w["b1conv2.weight"], padding=1), "b1bn2") + x)
    y = F.relu(bn(F.conv2d(x, w["b2conv1.weight"], stride=2, padding=1), "b2bn1"))
    x = F.relu(bn(F.conv2d(y, w["b2conv2.weight"], padding=1), "b2bn2") + bn(F.conv2d(x, w["b2proj.weight"], stride=2), "b2projbn"))
    x = F.adaptive_avg_pool2d(x, 1)
    return F.linear(torch.flatten(x, 1), w["fc.weight"], w["fc.bias"])


def main():
    model, data = sys.argv[1], sys.argv[2]
    chips = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    sigma = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    residual = model.endswith(".onnx")
    host = {k: torch.from_numpy(v) for k, v in onnx_initializers(model).items()} if residual else load_file(model)
    w0 = {k: v.to(dev, torch.float32) for k, v in host.items()}
    net, label = (residual_forward, "residual-cnn (ONNX fixture)") if residual else (forward, "LeNet-5")
    x = torch.from_numpy(read_idx(os.path.join(data, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0).unsqueeze(1).to(dev)
    y = torch.from_numpy(read_idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)).to(dev)
    weighted = [k for k in w0 if k.endswith(".weight") and w0[k].dim() > 1]
    gen = torch.Generator(device=dev).manual_seed(1)

    def chip():
        w = dict(w0)
        for k in weighted:
            w[k] = w0[k] + torch.randn(w0[k].shape, device=dev, generator=gen) * (sigma * w0[k].abs().max())
        return (net(w, x).argmax(1) == y).sum()

    with torch.no_grad():
        nominal = (net(w0, x).argmax(1) == y).float().mean().item()
        for _ in range(10):
            chip()
        torch.cuda.synchronize()
        t = time.perf_counter()
        hits = torch.stack([chip() for _ in range(chips)])
        torch.cuda.synchronize()
        seconds = time.perf_counter() - t
    rate = chips * x.shape[0] / seconds
    print(f"pytorch {torch.__version__} on {torch.cuda.get_device_name(0)}: {label}, {chips} chips x {x.shape[0]} images, "
          f"gaussian:{sigma}: {rate / 1e6:.2f} M images x chips/s ({seconds:.3f} s); nominal {nominal:.4f}, "
          f"mean {hits.float().mean().item() / x.shape[0]:.4f}")


if __name__ == "__main__":
    main()
