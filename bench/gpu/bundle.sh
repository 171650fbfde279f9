#!/bin/bash
# Packs what the GPU machine needs (it has no .NET SDK; docs/gpu.md): cimhil published self-contained for linux-x64, the
# Fashion-MNIST test split, and this folder's scripts, into DEST (default .gpu/ of the repository it runs from).
#   bash bench/gpu/bundle.sh [DEST] [--no-publish]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST=${1:-$ROOT/.gpu}
PUB=${PUB:-/tmp/gpu-pub}   # another checkout publishing at the same time names its own
if [ "${2:-}" != "--no-publish" ]; then
  rm -rf "$PUB"
  dotnet publish "$ROOT/src/CimHil.Cli" -c Release -r linux-x64 --self-contained -o "$PUB" -nologo -v q
fi
# What the Monte-Carlo does not need: the headless browser of report checks, symbols, other platforms, translations.
rm -rf "$PUB/.playwright" "$PUB"/runtimes/win-* "$PUB"/runtimes/osx-*
find "$PUB" -name '*.pdb' -delete
find "$PUB" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[a-z]{2}(-[A-Za-z]{2,4})?' -exec rm -rf {} +
mkdir -p "$DEST/fashion-mnist" "$DEST/bench"
tar -C "$PUB" -cf - . | xz -T2 -6 > "$DEST/cimhil.tar.xz"
cp /usr/share/datasets/fashion-mnist/t10k-*.gz "$DEST/fashion-mnist/"
# The first 2000 training images and labels (the IDX count rewritten): the converters' range calibration of evaluate and
# gpu check with --adc-bits/--dac-bits reads 1000 training images (docs/gpu.md, "Converters"); the whole split is 26 MB.
python3 - "$DEST/fashion-mnist" <<'PY'
import gzip, struct, sys
for name, per in (("train-images-idx3-ubyte.gz", 784), ("train-labels-idx1-ubyte.gz", 1)):
    raw = gzip.open("/usr/share/datasets/fashion-mnist/" + name).read()
    rank = raw[3]
    header = bytearray(raw[:4 + 4 * rank])
    struct.pack_into(">I", header, 4, 2000)
    gzip.open(sys.argv[1] + "/" + name, "wb").write(bytes(header) + raw[4 + 4 * rank:4 + 4 * rank + 2000 * per])
PY
cp "$ROOT"/bench/gpu/*.py "$ROOT"/bench/gpu/*.sh "$DEST/bench/"
# The device sampler's probe (sampler_probe.sh): built on the GPU machine with nvcc and g++ from these sources.
mkdir -p "$DEST/probe"
cp "$ROOT"/bench/gpu/sampler_probe.cu "$ROOT"/src/CimHil.Simulation.Cuda/Kernels/*.cu "$ROOT"/native/cuda-host/cuda_host.h "$ROOT"/native/cuda-host/sampler_host.cpp "$DEST/probe/"
du -sh "$DEST"
