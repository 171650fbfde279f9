#!/bin/bash
# The GPU machine's side of docs/gpu.md: unpacks the self-contained cimhil published into .gpu/, finds the CUDA libraries,
# then runs the device report, `cimhil gpu info`, `cimhil gpu check` (CPU vs GPU agreement) and the benchmark against the
# PyTorch peer in one go. Usage (from the repository root, on the GPU machine): bash bench/gpu/run.sh [chips] [stage]
#   stage: smoke (first call: info + a small check + the peer) or full (agreement on 10k images + the benchmark).
set -u
CHIPS=${1:-1000}
STAGE=${2:-full}
source "$(dirname "$0")/env.sh"
echo "== gpu info"; timeout 120 $C gpu info
if [ "$STAGE" = smoke ]; then
  echo "== evaluate --device cuda (smoke)"; timeout 120 $C evaluate --model $R/$MODEL --data $R/$DATA --device-model gaussian:0.1 --chips 64 --images 10000 --device cuda
  echo "== gpu check (64 chips)"; timeout 200 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 64 --images 10000 --json > $OUT/check-smoke.json; head -c 1200 $OUT/check-smoke.json; echo
  echo "== pytorch peer"; timeout 200 python3 $R/$BUNDLE/bench/pytorch_peer.py $R/$MODEL $R/$DATA 200 0.1
  exit 0
fi
echo "== pytorch peer (1)"; timeout 120 python3 $R/$BUNDLE/bench/pytorch_peer.py $R/$MODEL $R/$DATA 300 0.1
for n in $CHIPS; do evaluate "fp32 direct conv, $n chips" X=1 -- --chips $n; done
evaluate "fp32 direct conv, 4000 chips" X=1 -- --chips 4000
evaluate "fp32 direct conv, 2000 chips, server GC" DOTNET_gcServer=1 -- --chips 2000
evaluate "fp32 direct conv, 2000 chips, one output channel per thread" CIMHIL_CUDA_CONV_CHANNELS=1 -- --chips 2000
evaluate "fp32 direct conv, 2000 chips, profiled" CIMHIL_CUDA_PROFILE=1 -- --chips 2000
evaluate "fp32 direct conv, 2000 chips, profiled, server GC" CIMHIL_CUDA_PROFILE=1 DOTNET_gcServer=1 -- --chips 2000
evaluate "tf32 direct conv, 2000 chips" X=1 -- --chips 2000 --gpu-math tf32
echo "== pytorch peer (2)"; timeout 120 python3 $R/$BUNDLE/bench/pytorch_peer.py $R/$MODEL $R/$DATA 300 0.1
echo "== gpu check fp32 direct conv (500 chips, 10k images)"; timeout 300 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 500 --images 10000
echo "== gpu check fp32 im2col+gemm conv (200 chips)"; CIMHIL_CUDA_CONV=gemm timeout 300 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 200 --images 10000
echo "== gpu check tf32 direct conv (200 chips)"; timeout 300 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 200 --images 10000 --gpu-math tf32
echo "== gpu check with read noise (calibrated emulator-rram model, 32 chips)"; timeout 200 $C gpu check --model $R/$MODEL --data $R/$DATA --device-model /tmp/cimhil/calibration/emulator-rram.json --chips 32 --images 10000
echo "== end $(date -u +%FT%TZ)"
