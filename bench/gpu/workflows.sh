#!/bin/bash
# The GPU machine's side of docs/gpu.md "The worst-case search on the GPU" for `run` (issue #21 item 2): the whole pipeline of
# the repository's hil-config.json on the emulator with --device cuda (screenshot off: the bundle carries no browser), its
# worst-case search's passes on the GPU, then every Δ it saved re-verified on the CPU against the run's own calibration; and
# the two GPU forwards (`gpu check` of LeNet-5 and of the residual fixture) and LeNet-5's throughput, after a refactoring.
# Usage (repository root on the GPU machine): BUNDLE=.gpu-x bash .gpu-x/bench/workflows.sh [check chips=64]
set -u
CHECK=${1:-64}
source "$(dirname "$0")/env.sh"
export CIMHIL_FASHION_MNIST=$R/$DATA
python3 - "$R" /tmp/run-config.json <<'PY'
import json, sys
root, out = sys.argv[1], sys.argv[2]
c = json.load(open(root + "/hil-config.json"))
# Absolute paths: the commands run in an empty folder (env.sh), where run.plan's default plans/default-rram.json is not.
c["run"].update(screenshot=False, outputRoot="/tmp/runs", model=root + "/models/lenet5-fmnist.safetensors", plan=root + "/plans/default-rram.json")
c["emulator"]["stateFile"] = "/tmp/runs/emulator-state.bin"
json.dump(c, open(out, "w"))
PY
echo "== run --device cuda (hil-config.json, the emulator)"
timeout 300 $C run --config /tmp/run-config.json --device cuda --json --log-level Information > $OUT/run.json; echo "   exit $?"
python3 - $OUT/run.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
mc = d["monteCarlo"]
print("   folder", d["folder"], "| Monte-Carlo %d chips mean %.4f %% min %.2f %%" % (len(mc["chipAccuracies"]), 100 * mc["mean"], 100 * mc["minimum"]))
print("   worst case", " / ".join("k=%g %.2f %%" % (p["k"], 100 * p["accuracy"]) for p in d["worstCase"]["points"]))
print("   stage seconds", {k: round(v, 1) for k, v in d["stageSeconds"].items()})
PY
RUN=$(ls -d /tmp/runs/2*/ | head -1)
for f in "$RUN"worst-case/*.safetensors; do
  echo "== verify $(basename $f) on the CPU"; timeout 60 $C worst-case --config /tmp/run-config.json --model $R/models/lenet5-fmnist.safetensors --device-model "$RUN"calibration.json --images 2000 --verify $f
done
echo "== gpu check lenet5 fp32 ($CHECK chips, BatchedForward)"
timeout 120 $C gpu check --model $R/$MODEL --data $R/$DATA --chips $CHECK --images 10000 --json > $OUT/check-lenet.json && python3 -c "import json;d=json.load(open('$OUT/check-lenet.json'));print('   differing',d['chipsDiffering'],'total',d['imagesDifferentInTotal'],'mean cpu %.6f gpu %.6f'%(d['meanCpu'],d['meanGpu']))"
echo "== gpu check residual-cnn.onnx fp32 (32 chips, GraphForward)"
timeout 120 $C gpu check --model $R/tests/fixtures/onnx/residual-cnn.onnx --data $R/$DATA --chips 32 --images 10000 --json > $OUT/check-residual.json && python3 -c "import json;d=json.load(open('$OUT/check-residual.json'));print('   differing',d['chipsDiffering'],'total',d['imagesDifferentInTotal'],'mean cpu %.6f gpu %.6f'%(d['meanCpu'],d['meanGpu']))"
evaluate "fp32 direct conv, 2000 chips" X=1 -- --chips 2000
MODEL=tests/fixtures/onnx/residual-cnn.onnx evaluate "residual fp32, 500 chips" X=1 -- --chips 500
echo "== end $(date -u +%FT%TZ)"
