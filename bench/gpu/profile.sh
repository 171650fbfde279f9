#!/bin/bash
# Where the GPU Monte-Carlo's time goes (issue #21, docs/gpu.md "Profile"): the phase breakdown of CIMHIL_CUDA_PROFILE=1
# (host programming and drawing, waits, uploads, each GPU step synchronised alone), the same runs unprofiled with the
# workstation and the server garbage collector, and Nsight Compute on the convolution kernels.
# Usage (repository root, GPU machine): bash .gpu/bench/profile.sh
set -u
source "$(dirname "$0")/env.sh"
echo "== pytorch peer"; timeout 120 python3 $R/$BUNDLE/bench/pytorch_peer.py $R/$MODEL $R/$DATA 300 0.1
evaluate "fp32, 2000 chips, unprofiled" X=1 -- --chips 2000
evaluate "fp32, 2000 chips, unprofiled, server GC" DOTNET_gcServer=1 -- --chips 2000
evaluate "fp32, 2000 chips, profiled" CIMHIL_CUDA_PROFILE=1 -- --chips 2000
evaluate "fp32, 2000 chips, profiled, server GC" CIMHIL_CUDA_PROFILE=1 DOTNET_gcServer=1 -- --chips 2000
evaluate "fp32, 2000 chips, profiled, 256 per launch" CIMHIL_CUDA_PROFILE=1 CIMHIL_CUDA_CHIPS_PER_LAUNCH=256 -- --chips 2000
evaluate "fp32, 2000 chips, profiled, no variation" CIMHIL_CUDA_PROFILE=1 -- --chips 2000 --device-model none
echo "== ncu (conv and gemm kernels of one 64-chip launch)"
NCU=$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
timeout 240 $NCU --clock-control none -k 'regex:conv|gemm|sgemm|bias|count|flatten' -c 8 --section SpeedOfLight --section Occupancy --section LaunchStats \
  $C evaluate --model $R/$MODEL --data $R/$DATA --device-model gaussian:0.1 --images 10000 --device cuda --chips 64 --quiet 2>&1 | grep -vE '^\s*$' | tail -220
echo "== end $(date -u +%FT%TZ)"
