#!/bin/bash
# Packs what the GPU machine needs (it has no .NET SDK; docs/gpu.md): cimhil published self-contained for linux-x64, the
# Fashion-MNIST test split, and this folder's scripts, into DEST (default .gpu/ of the repository it runs from).
#   bash bench/gpu/bundle.sh [DEST] [--no-publish]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST=${1:-$ROOT/.gpu}
PUB=${PUB:-/tmp/gpu-pub}
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
cp "$ROOT"/bench/gpu/*.py "$ROOT"/bench/gpu/*.sh "$DEST/bench/"
du -sh "$DEST"
