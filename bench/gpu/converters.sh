#!/bin/bash
# The GPU machine's side of docs/gpu.md "Converters (DAC/ADC)": the marked GPU test `gpu check` with converters on LeNet-5
# (per-chip accuracies on the CPU's tiled forward and on the GPU's, FP32, Fashion-MNIST test images; ranges calibrated on the
# bundle's 2000 training images), then `evaluate --device cuda` with converters against without (images×chips/s), and one
# profiled run. CHECK_IMAGES keeps the CPU side (CrossbarForward, slow) inside the call.
#   BUNDLE=.gpu-conv bash .gpu-conv/bench/converters.sh [chips=1000] [check chips=32]
set -u
CHIPS=${1:-1000}
CHECK=${2:-32}
IMAGES=${CHECK_IMAGES:-5000}
source "$(dirname "$0")/env.sh"
summary() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print('  ',d['device'],d['architecture'],d['converters'],'| chips',d['chips'],'x',d['images'],'images, per launch',d['chipsPerLaunch'],'| differing',d['chipsDiffering'],'max',d['maxImagesDifferent'],'total',d['imagesDifferentInTotal'],'| mean cpu %.6f gpu %.6f'%(d['meanCpu'],d['meanGpu']),'| gpu %.3f M/s cpu %.4f M/s'%(d['gpuImageChipsPerSecond']/1e6,d['cpuImageChipsPerSecond']/1e6));print('   differences',d['differences'])" "$1"; }
check() {
  local label=$1 chips=$2; shift 2
  echo "== gpu check LeNet-5 $label, $chips chips x $IMAGES images $*"
  timeout 200 $C gpu check --model $R/$MODEL --data $R/$DATA --chips $chips --images $IMAGES --json "$@" > $OUT/check-$label.json && summary $OUT/check-$label.json
}
$C gpu info
check dac8-adc8 $CHECK --dac-bits 8 --adc-bits 8
check adc6-3bit-2slices $((CHECK / 2)) --adc-bits 6 --bits 3 --slices 2
check dac6-adc6-rram-readnoise 8 --dac-bits 6 --adc-bits 6 --device-model /tmp/cimhil/calibration/emulator-rram.json
echo "== evaluate --device cuda, $CHIPS chips x 10k images: without and with converters"
evaluate "--dac-bits 8 --adc-bits 8" -- --chips $CHIPS --dac-bits 8 --adc-bits 8
evaluate "--adc-bits 8" -- --chips $CHIPS --adc-bits 8
evaluate "no converters, $CHIPS chips" -- --chips $CHIPS
echo "== profiled: --dac-bits 8 --adc-bits 8, 300 chips"
CIMHIL_CUDA_PROFILE=1 timeout 100 $C evaluate --model $R/$MODEL --data $R/$DATA --device-model gaussian:0.1 --images 10000 --chips 300 --dac-bits 8 --adc-bits 8 --device cuda --json --quiet 2>&1 >/dev/null | tail -25
echo "== end $(date -u +%FT%TZ)"
