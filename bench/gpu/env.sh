#!/bin/bash
# Sourced by run.sh and profile.sh on the GPU machine: unpacks the self-contained cimhil of .gpu/ into /tmp/cimhil, finds
# the CUDA libraries, prints the card, and leaves C (the cimhil binary), R (repository root), MODEL and DATA set.
set -u
R=$(pwd)
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/cimhil
BUNDLE=${BUNDLE:-.gpu}
tar -C /tmp/cimhil -xJf "$BUNDLE/cimhil.tar.xz" || exit 1
DATA=$BUNDLE/fashion-mnist
MODEL=models/lenet5-fmnist.safetensors
# cuBLAS and NVRTC of the machine's CUDA 13: wherever the image keeps them (CUDA toolkit or the Python wheels).
LIBS=$(find /usr/local /usr/lib /opt -name 'libcublas.so.1[23]*' -o -name 'libnvrtc.so.1[23]*' 2>/dev/null | xargs -r -n1 dirname | sort -u | paste -sd:)
export CIMHIL_CUDA_LIBRARY_PATH=$LIBS
export LD_LIBRARY_PATH=${LIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export DOTNET_CLI_TELEMETRY_OPTOUT=1
mkdir -p /tmp/empty && cd /tmp/empty
C=/tmp/cimhil/cimhil
echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
echo "== libraries: $LIBS"
ls $(echo "$LIBS" | tr ':' ' ') 2>/dev/null | grep -E 'cublas|nvrtc|cudart' | sort -u | head -20
nproc
# evaluate LABEL [VAR=VALUE...] -- [evaluate's extra flags]: one `evaluate --device cuda` on LeNet-5, its figure printed.
evaluate() {
  local label=$1; shift; local envs=(); while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  echo "== evaluate --device cuda $label"
  env "${envs[@]}" timeout 200 $C evaluate --model $R/$MODEL --data $R/$DATA --device-model gaussian:0.1 --images 10000 --device cuda --json --quiet "$@" > $OUT/eval.json \
    && python3 -c "import json;d=json.load(open('$OUT/eval.json'));print('  ',d['device'],'chips',len(d['chipAccuracies']),'%.2f M images x chips/s'%(d['imageChipsPerSecond']/1e6),'%.3f s'%d['elapsedSeconds'],'mean %.4f'%d['mean'])"
}
