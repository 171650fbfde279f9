#!/bin/bash
# Diagnosis of the device sampler on the GPU machine (docs/gpu.md, "The sampler on the GPU"): sampler_probe.cu (the same
# sampler.cu built by nvcc and by g++, on Marsaglia & Tsang's ziggurat tables) and `gpu check --gpu-sampler device` on a few chips
# (the first differing weight), then the same under compute-sanitizer's memcheck (an out-of-bounds write names its kernel).
#   BUNDLE=.gpu bash .gpu/bench/sampler_probe.sh    (the sources in the bundle's probe/ folder, bundle.sh)
set -u
source "$(dirname "$0")/env.sh"
P=$R/$BUNDLE/probe
CUDA=${CUDA_HOME:-/usr/local/cuda}
echo "== sampler probe (nvcc $($CUDA/bin/nvcc --version | tail -1))"
(cd $P && g++ -O2 -c sampler_host.cpp -o /tmp/sampler_host.o && $CUDA/bin/nvcc -O2 -arch=native -o /tmp/sampler_probe sampler_probe.cu /tmp/sampler_host.o -L$CUDA/lib64 -L${LIBS//:/ -L} -lnvrtc -lcuda && /tmp/sampler_probe)
echo "== gpu check --gpu-sampler device, 4 chips x 1000 images"
timeout 120 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 4 --images 1000 --gpu-sampler device --json > $OUT/check-sampler4.json
python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print('  ',{k:d.get(k) for k in ('sampler','samplerWeights','samplerWeightsDiffering','samplerMaxUlps','samplerFirstDifference','meanCpu','meanGpu','chipsDiffering')})" $OUT/check-sampler4.json
echo "== compute-sanitizer memcheck: gpu check --gpu-sampler device, 2 chips x 200 images"
timeout 240 $CUDA/bin/compute-sanitizer --tool memcheck --print-limit 8 $C gpu check --model $R/$MODEL --data $R/$DATA --chips 2 --images 200 --gpu-sampler device 2>&1 | tail -60
echo "== end $(date -u +%FT%TZ)"
