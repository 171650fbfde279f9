#!/bin/bash
# The GPU machine's side of docs/gpu.md "Imported graphs" (issue #21: every model on the GPU): the marked GPU test (`gpu check`:
# per-chip accuracies of the residual ONNX fixture on the CPU and the GPU, FP32, 10k Fashion-MNIST images), LeNet-5's check
# (the InferencePlan path, unchanged), the refusal of an operator the GPU lacks, and the residual benchmark against the
# PyTorch peer in the same command. Usage (repository root on the GPU machine, bundle of bench/gpu/bundle.sh in $BUNDLE):
#   BUNDLE=.gpu-graph bash .gpu-graph/bench/graph.sh [chips=1000] [quick: without the LeNet-5 checks, tf32 and the repeats]
# CHECK_CHIPS (default 128): the chips of the residual check, whose CPU side (~0.02 M images x chips/s) sets its time.
set -u
CHIPS=${1:-1000}
STAGE=${2:-full}
CHECK_CHIPS=${CHECK_CHIPS:-128}
source "$(dirname "$0")/env.sh"
ONNX=$R/tests/fixtures/onnx
PAIR=$ONNX/test-x.npy,$ONNX/test-y.npy
summary() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print('  ',d['device'],d['architecture'],'chips',d['chips'],'per launch',d['chipsPerLaunch'],'| differing',d['chipsDiffering'],'max',d['maxImagesDifferent'],'total',d['imagesDifferentInTotal'],'| mean cpu %.6f gpu %.6f'%(d['meanCpu'],d['meanGpu']),'| gpu %.2f M/s cpu %.2f M/s'%(d['gpuImageChipsPerSecond']/1e6,d['cpuImageChipsPerSecond']/1e6))" "$1"; }
echo "== gpu info"; timeout 60 $C gpu info
echo "== gpu check residual-cnn.onnx fp32 (the marked GPU test: $CHECK_CHIPS chips x 10k images)"
timeout 200 $C gpu check --model $ONNX/residual-cnn.onnx --data $R/$DATA --chips $CHECK_CHIPS --images 10000 --json > $OUT/check-residual.json && summary $OUT/check-residual.json
echo "== gpu check residual-cnn.onnx fp32 with read noise per batch (calibrated emulator-rram model, 16 chips)"
timeout 100 $C gpu check --model $ONNX/residual-cnn.onnx --data $R/$DATA --device-model /tmp/cimhil/calibration/emulator-rram.json --chips 16 --images 10000 --json > $OUT/check-residual-rram.json && summary $OUT/check-residual-rram.json
if [ "$STAGE" != quick ]; then
echo "== gpu check lenet5 fp32 (InferencePlan path, 64 chips)"
timeout 100 $C gpu check --model $R/models/lenet5-fmnist.safetensors --data $R/$DATA --chips 64 --images 10000 --json > $OUT/check-lenet.json && summary $OUT/check-lenet.json
echo "== gpu check lenet5.onnx through the graph path? (a plain chain: InferencePlan, 32 chips)"
timeout 100 $C gpu check --model $ONNX/lenet5.onnx --data $R/$DATA --chips 32 --images 10000 --json > $OUT/check-lenet-onnx.json && summary $OUT/check-lenet-onnx.json
fi
echo "== depthwise-separable.onnx --device cuda (must refuse naming the node)"
timeout 60 $C evaluate --model $ONNX/depthwise-separable.onnx --data $PAIR --device-model gaussian:0.1 --chips 2 --device cuda --quiet; echo "   exit $?"
echo "== depthwise-separable.onnx --device auto (one fallback line)"
timeout 60 $C evaluate --model $ONNX/depthwise-separable.onnx --data $PAIR --device-model gaussian:0.1 --chips 2 --device auto --quiet 2>&1 | grep -i "device auto"
echo "== pytorch peer residual (1)"; timeout 120 python3 $R/$BUNDLE/bench/pytorch_peer.py $ONNX/residual-cnn.onnx $R/$DATA 300 0.1
MODEL=tests/fixtures/onnx/residual-cnn.onnx
evaluate "residual fp32, $CHIPS chips" X=1 -- --chips $CHIPS
evaluate "residual fp32, $CHIPS chips, --fold-batchnorm" X=1 -- --chips $CHIPS --fold-batchnorm
evaluate "residual fp32, 500 chips, profiled" CIMHIL_CUDA_PROFILE=1 -- --chips 500
[ "$STAGE" = quick ] && { echo "== end $(date -u +%FT%TZ)"; exit 0; }
evaluate "residual tf32, $CHIPS chips" X=1 -- --chips $CHIPS --gpu-math tf32
echo "== pytorch peer residual (2)"; timeout 120 python3 $R/$BUNDLE/bench/pytorch_peer.py $ONNX/residual-cnn.onnx $R/$DATA 300 0.1
echo "== pytorch peer lenet5"; timeout 120 python3 $R/$BUNDLE/bench/pytorch_peer.py $R/models/lenet5-fmnist.safetensors $R/$DATA 300 0.1
echo "== end $(date -u +%FT%TZ)"
