#!/bin/bash
# The GPU machine's side of docs/gpu.md for the Concat on a non-channel axis (graph_scatter) and the device sampler on the
# graph path: `gpu check` (per-chip accuracies CPU vs GPU, FP32, 10k Fashion-MNIST images) on the concat-width fixture with
# the host and the device sampler, the residual fixture with the device sampler, and concat-width's throughput.
#   BUNDLE=.gpu-x bash .gpu-x/bench/concat.sh [chips=64]
set -u
CHIPS=${1:-64}
source "$(dirname "$0")/env.sh"
ONNX=$R/$BUNDLE/onnx
summary() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print('  ',d['device'],d['architecture'],'chips',d['chips'],'per launch',d['chipsPerLaunch'],'| differing',d['chipsDiffering'],'max',d['maxImagesDifferent'],'total',d['imagesDifferentInTotal'],'| mean cpu %.6f gpu %.6f'%(d['meanCpu'],d['meanGpu']),'| gpu %.2f M/s cpu %.3f M/s'%(d['gpuImageChipsPerSecond']/1e6,d['cpuImageChipsPerSecond']/1e6),'| sampler',d.get('sampler'),'weights differing',d.get('samplerWeightsDiffering'),'of',d.get('samplerWeights'),'max ulps',d.get('samplerMaxUlps'))" "$1"; }
check() {
  local name=$1 chips=$2 tag=$3; shift 3
  echo "== gpu check $name fp32, $chips chips x 10k images $*"
  timeout 150 $C gpu check --model $ONNX/$name.onnx --data $R/$DATA --chips $chips --images 10000 --json "$@" > $OUT/check-$name-$tag.json && summary $OUT/check-$name-$tag.json
}
check concat-width $CHIPS host --gpu-sampler host
check concat-width $CHIPS device --gpu-sampler device
check residual-cnn $CHIPS device --gpu-sampler device
echo "== evaluate concat-width --device cuda, 1000 chips x 10k images, host / device sampler"
for s in host device; do
  CIMHIL_CUDA_SAMPLER=$s timeout 100 $C evaluate --model $ONNX/concat-width.onnx --data $R/$DATA --device-model gaussian:0.1 --images 10000 --chips 1000 --device cuda --json --quiet > $OUT/eval-concat-$s.json \
    && python3 -c "import json;d=json.load(open('$OUT/eval-concat-$s.json'));print('  concat-width',d['device'],'chips',len(d['chipAccuracies']),'%.2f M images x chips/s'%(d['imageChipsPerSecond']/1e6),'%.3f s'%d['elapsedSeconds'],'mean %.4f'%d['mean'])"
done
echo "== end $(date -u +%FT%TZ)"
