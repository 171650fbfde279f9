#!/bin/bash
# The device sampler on the GPU machine (docs/gpu.md, "The sampler on the GPU"): `gpu check --gpu-sampler device` (per-chip
# accuracies against the CPU, and every chip's weights against the host's float by float), then LeNet-5 `evaluate --device
# cuda` with the host sampler (CIMHIL_CUDA_SAMPLER=host) and the device sampler (the default) side by side with the PyTorch peer, unprofiled and profiled.
# Usage (repository root of the GPU machine): BUNDLE=.gpu bash .gpu/bench/sampler.sh [check chips]
set -u
CHECK=${1:-200}
source "$(dirname "$0")/env.sh"
echo "== gpu info"; timeout 120 $C gpu info
echo "== gpu check --gpu-sampler device ($CHECK chips, 10k images)"
timeout 300 $C gpu check --model $R/$MODEL --data $R/$DATA --chips $CHECK --images 10000 --gpu-sampler device
echo "== gpu check --gpu-sampler device, seed 7, gaussian:0.2 (64 chips)"
timeout 100 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 64 --images 10000 --seed 7 --device-model gaussian:0.2 --gpu-sampler device
echo "== pytorch peer (1)"; timeout 120 python3 $R/$BUNDLE/bench/pytorch_peer.py $R/$MODEL $R/$DATA 300 0.1
for n in 2000 2000; do
  evaluate "host sampler, $n chips" CIMHIL_CUDA_SAMPLER=host -- --chips $n
  evaluate "device sampler (the default), $n chips" X=1 -- --chips $n
done
evaluate "host sampler, 2000 chips, profiled" CIMHIL_CUDA_PROFILE=1 CIMHIL_CUDA_SAMPLER=host -- --chips 2000
evaluate "device sampler, 2000 chips, profiled" CIMHIL_CUDA_PROFILE=1 CIMHIL_CUDA_SAMPLER=device -- --chips 2000
echo "== end $(date -u +%FT%TZ)"
