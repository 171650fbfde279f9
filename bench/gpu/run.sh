#!/bin/bash
# The GPU machine's side of docs/gpu.md: unpacks the self-contained cimhil published into .gpu/, finds the CUDA libraries,
# then runs the device report, `cimhil gpu info`, `cimhil gpu check` (CPU vs GPU agreement) and the benchmark against the
# PyTorch peer in one go. Usage (from the repository root, on the GPU machine): bash bench/gpu/run.sh [chips] [stage]
#   stage: smoke (first call: info + a small check + the peer) or full (agreement on 10k images + the benchmark).
set -u
R=$(pwd)
CHIPS=${1:-1000}
STAGE=${2:-full}
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
echo "== gpu info"; timeout 120 $C gpu info
if [ "$STAGE" = smoke ]; then
  echo "== evaluate --device cuda (smoke)"; timeout 120 $C evaluate --model $R/$MODEL --data $R/$DATA --device-model gaussian:0.1 --chips 64 --images 10000 --device cuda
  echo "== gpu check (64 chips)"; timeout 200 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 64 --images 10000 --json > $OUT/check-smoke.json; head -c 1200 $OUT/check-smoke.json; echo
  echo "== pytorch peer"; timeout 200 python3 $R/$BUNDLE/bench/pytorch_peer.py $R/$MODEL $R/$DATA 200 0.1
  exit 0
fi
echo "== pytorch peer (1)"; timeout 120 python3 $R/$BUNDLE/bench/pytorch_peer.py $R/$MODEL $R/$DATA 300 0.1
evaluate() { # label, environment..., then evaluate's extra flags after --
  local label=$1; shift; local envs=(); while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  echo "== evaluate --device cuda $label"
  env "${envs[@]}" timeout 200 $C evaluate --model $R/$MODEL --data $R/$DATA --device-model gaussian:0.1 --images 10000 --device cuda --json --quiet "$@" > $OUT/eval.json \
    && python3 -c "import json;d=json.load(open('$OUT/eval.json'));print('  ',d['device'],'chips',len(d['chipAccuracies']),'%.2f M images x chips/s'%(d['imageChipsPerSecond']/1e6),'%.3f s'%d['elapsedSeconds'],'mean %.4f'%d['mean'])"
}
for n in $CHIPS; do evaluate "fp32 direct conv, $n chips" X=1 -- --chips $n; done
evaluate "fp32 direct conv, 2000 chips, 128 per launch" CIMHIL_CUDA_CHIPS_PER_LAUNCH=128 -- --chips 2000
evaluate "fp32 direct conv, 2000 chips, 512 per launch" CIMHIL_CUDA_CHIPS_PER_LAUNCH=512 -- --chips 2000
evaluate "fp32 im2col+gemm conv, 1000 chips" CIMHIL_CUDA_CONV=gemm -- --chips 1000
evaluate "tf32 direct conv, 2000 chips" X=1 -- --chips 2000 --gpu-math tf32
evaluate "tf32 im2col+gemm conv, 1000 chips" CIMHIL_CUDA_CONV=gemm -- --chips 1000 --gpu-math tf32
echo "== pytorch peer (2)"; timeout 120 python3 $R/$BUNDLE/bench/pytorch_peer.py $R/$MODEL $R/$DATA 300 0.1
echo "== gpu check fp32 direct conv (200 chips, 10k images)"; timeout 300 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 200 --images 10000
echo "== gpu check fp32 im2col+gemm conv (200 chips)"; CIMHIL_CUDA_CONV=gemm timeout 300 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 200 --images 10000
echo "== gpu check tf32 direct conv (200 chips)"; timeout 300 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 200 --images 10000 --gpu-math tf32
echo "== gpu check tf32 im2col+gemm conv (200 chips)"; CIMHIL_CUDA_CONV=gemm timeout 300 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 200 --images 10000 --gpu-math tf32
echo "== gpu check with read noise (calibrated emulator-rram model, 32 chips)"; timeout 200 $C gpu check --model $R/$MODEL --data $R/$DATA --device-model /tmp/cimhil/calibration/emulator-rram.json --chips 32 --images 10000
echo "== end $(date -u +%FT%TZ)"
