#!/bin/bash
# The worst-case half of issue #21's benchmark (docs/gpu.md, "Worst case"): on the GPU machine, the worst-case sweep of
# `cimhil run`'s stage (LeNet-5, k = 0,0.5,1,2,3, 2000 images, default method, the shipped calibrated model) timed on its CPU
# cores with `--device cpu`, then the Monte-Carlo reference alone (k = 0) with `--device cpu` and `--device cuda`, and the
# saved worst-case Δ of k = 3 re-verified. The log lines (per bound: accuracy, passes, seconds) go to standard error, so a
# sweep stopped by its time limit still shows how far it got. Usage (repository root, GPU machine): bash .gpu/bench/worstcase.sh [images] [chips]
# (BUNDLE=folder when bundle.sh packed elsewhere than .gpu/; WC=gpu|cpu|both, below).
set -u
IMAGES=${1:-2000}
CHIPS=${2:-100}
source "$(dirname "$0")/env.sh"
BOUNDS=/tmp/cimhil/calibration/emulator-rram.json
sweep() {
  local limit=$1 label=$2; shift 2
  echo "== worst-case $label"
  timeout $limit $C worst-case --model $R/$MODEL --data $R/$DATA --device-model $BOUNDS --images $IMAGES --json --log-level Information "$@" > $OUT/wc.json \
    && python3 - $OUT/wc.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["points"]:
    print("   k=%-4g accuracy %.2f %%  search %.1f s (%d gradient, %d forward passes)" % (p["k"], 100 * p["accuracy"], p["seconds"], p["gradientPasses"], p["forwardPasses"]))
mc = d.get("monteCarlo")
if mc:
    print("   Monte-Carlo reference: %d chips, mean %.4f %%, minimum %.2f %%, %.2f s" % (mc["chips"], 100 * mc["mean"], 100 * mc["minimum"], mc["seconds"]))
print("   total %.1f s" % d["seconds"])
PY
  cp $OUT/wc.json "$OUT/wc-$(echo "$label" | tr -c 'a-z0-9\n' '-' | head -c 40).json" 2>/dev/null
}
# WC=gpu: only the GPU half (the search's passes against the CPU's, the sweep with --device cuda, its Δ re-verified on the
# CPU); WC=cpu: only the CPU half; default both, the GPU first.
WC=${WC:-both}
if [ "$WC" != cpu ]; then
  echo "== gpu check-worst-case (the search's passes, GPU against CPU)"
  timeout 120 $C gpu check-worst-case --model $R/$MODEL --data $R/$DATA --device-model $BOUNDS --images $IMAGES --k 1 --passes 20
  sweep 240 "sweep, --device cuda" --k 0,0.5,1,2,3 --method default --mc-chips $CHIPS --out /tmp/wc-cuda --device cuda
  for k in 0.5 1 2 3; do
    echo "== verify k=$k (the GPU search's Δ, re-applied on the CPU)"; timeout 60 $C worst-case --model $R/$MODEL --data $R/$DATA --device-model $BOUNDS --images $IMAGES --verify /tmp/wc-cuda/worst-case-k$k.safetensors
  done
  # The same sweep with the search loop on the host and only the passes on the GPU (the first build): the resident loop
  # repeats its arithmetic, so every Δ file must be the same bytes.
  CIMHIL_CUDA_WORST_CASE_LOOP=host sweep 240 "sweep, --device cuda, host loop" --k 0,0.5,1,2,3 --method default --mc-chips 0 --out /tmp/wc-cuda-host --device cuda
  for k in 0.5 1 2 3; do
    if cmp -s /tmp/wc-cuda/worst-case-k$k.safetensors /tmp/wc-cuda-host/worst-case-k$k.safetensors; then echo "== k=$k: resident loop's Δ = host loop's, byte for byte"; else echo "== k=$k: resident loop's Δ DIFFERS from the host loop's"; fi
  done
fi
if [ "$WC" != gpu ]; then
  sweep 450 "sweep, --device cpu ($(nproc) cores)" --k 0,0.5,1,2,3 --method default --mc-chips $CHIPS --out /tmp/wc-cpu --device cpu
  sweep 90 "reference only, --device cpu" --k 0 --mc-chips $CHIPS --out /tmp/wc-ref-cpu --device cpu
  sweep 90 "reference only, --device cuda" --k 0 --mc-chips $CHIPS --out /tmp/wc-ref-cuda --device cuda
  echo "== verify k=3 (the CPU's Δ, re-applied)"; timeout 60 $C worst-case --model $R/$MODEL --data $R/$DATA --device-model $BOUNDS --images $IMAGES --verify /tmp/wc-cpu/worst-case-k3.safetensors
fi
echo "== end $(date -u +%FT%TZ)"
