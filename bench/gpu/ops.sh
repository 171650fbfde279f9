#!/bin/bash
# The GPU machine's side of docs/gpu.md "Imported graphs" for the operators added by issue #21 item 1 (LeakyRelu, Clip/ReLU6,
# Sigmoid, Tanh, arithmetic with constants, Sub/Mul of tensors, Transpose, Reshape, Pad): the marked GPU test `gpu check`
# (per-chip accuracies on the CPU and the GPU, FP32, 10k Fashion-MNIST images) on the depthwise-separable and MLP fixtures,
# the residual fixture again, the depthwise fixture under read noise, and the refusal / fallback of the one fixture the GPU
# still lacks (concat-width). The fixtures come from the bundle ($BUNDLE/onnx), not the checkout.
#   BUNDLE=.gpu-ops bash .gpu-ops/bench/ops.sh [chips=64]
set -u
CHIPS=${1:-64}
source "$(dirname "$0")/env.sh"
ONNX=$R/$BUNDLE/onnx
PAIR=$ONNX/test-x.npy,$ONNX/test-y.npy
echo "== $(ldd --version | head -1)"
summary() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print('  ',d['device'],d['architecture'],'chips',d['chips'],'per launch',d['chipsPerLaunch'],'| differing',d['chipsDiffering'],'max',d['maxImagesDifferent'],'total',d['imagesDifferentInTotal'],'| mean cpu %.6f gpu %.6f'%(d['meanCpu'],d['meanGpu']),'| gpu %.2f M/s cpu %.3f M/s'%(d['gpuImageChipsPerSecond']/1e6,d['cpuImageChipsPerSecond']/1e6))" "$1"; }
check() {
  local name=$1 chips=$2; shift 2
  echo "== gpu check $name fp32, $chips chips x 10k images $*"
  timeout 150 $C gpu check --model $ONNX/$name.onnx --data $R/$DATA --chips $chips --images 10000 --json "$@" > $OUT/check-$name.json && summary $OUT/check-$name.json
}
check mlp $((CHIPS * 2))
check depthwise-separable $CHIPS
check residual-cnn $CHIPS
echo "== gpu check depthwise-separable fp32 with read noise per batch (calibrated emulator-rram model, 8 chips)"
timeout 100 $C gpu check --model $ONNX/depthwise-separable.onnx --data $R/$DATA --device-model /tmp/cimhil/calibration/emulator-rram.json --chips 8 --images 10000 --json > $OUT/check-dw-rram.json && summary $OUT/check-dw-rram.json
echo "== evaluate --device cuda, 1000 chips x 10k images (throughput)"
for name in depthwise-separable mlp; do
  timeout 100 $C evaluate --model $ONNX/$name.onnx --data $R/$DATA --device-model gaussian:0.1 --images 10000 --chips 1000 --device cuda --json --quiet > $OUT/eval-$name.json \
    && python3 -c "import json;d=json.load(open('$OUT/eval-$name.json'));print('  $name',d['device'],'chips',len(d['chipAccuracies']),'%.2f M images x chips/s'%(d['imageChipsPerSecond']/1e6),'%.3f s'%d['elapsedSeconds'],'mean %.4f'%d['mean'])"
done
echo "== concat-width.onnx --device cuda (must refuse naming the node)"
timeout 60 $C evaluate --model $ONNX/concat-width.onnx --data $PAIR --device-model gaussian:0.1 --chips 2 --device cuda --quiet; echo "   exit $?"
echo "== concat-width.onnx --device auto (one fallback line)"
timeout 60 $C evaluate --model $ONNX/concat-width.onnx --data $PAIR --device-model gaussian:0.1 --chips 2 --device auto --quiet 2>&1 | grep -i "device auto"
echo "== end $(date -u +%FT%TZ)"
