#!/usr/bin/env bash
# A-TRICE trade-off sweep (docs/robustness.md §5): clean accuracy against the worst case at k = 1 for several adversary
# strengths (β, adversary k, warm-up), on one reduced setting that is the same for every point. Standard training is
# trained and judged once (its checkpoints are cached in <root>/study-models and the A-TRICE points share that cache);
# every point trains A-TRICE with each seed and is judged on the same simulated chips (same seeds) as standard.
# Runs one point after another under `nice`, then writes <root>/tradeoff.md by itself (scripts/atrice-tradeoff.py).
#
#   scripts/atrice-tradeoff.sh [root] [points]
#     root:   output folder (default runs/atrice-tradeoff); a point whose <name>.json exists is not run again
#     points: space-separated β:k:warm-up[:σ] (default: the 3 × 3 grid β ∈ {0.25, 0.5, 0.75} × k ∈ {0.5, 1, 2},
#             warm-up 1, the k = 1 row first so an interrupted sweep still has the β curve); σ, when given, is the
#             right-censored noise's σ_rel alone: the adversary's box stays gaussian:0.1 (without it the box is
#             gaussian:σ, so σ would scale the adversary too)
# Environment: CIMHIL (the command to run; default ./cimhil; a copy of the built CLI, `dotnet /copy/cimhil.dll`, keeps a
# rebuild of the tree from changing the program under a running sweep), SEEDS (default 1,2), EPOCHS (default 2), TRAIN_SAMPLES (6000), CHIPS (20), IMAGES (1000), WC_IMAGES (100).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="${1:-runs/atrice-tradeoff}"
points="${2:-0.25:1:1 0.5:1:1 0.75:1:1 0.5:0.5:1 0.5:2:1 0.25:0.5:1 0.75:0.5:1 0.25:2:1 0.75:2:1}"
mkdir -p "$root"
common=(study --seeds "${SEEDS:-1,2}" --epochs "${EPOCHS:-2}" --train-samples "${TRAIN_SAMPLES:-6000}"
  --chips "${CHIPS:-20}" --images "${IMAGES:-1000}" --worst-case-images "${WC_IMAGES:-100}" --ks 1
  --adversary-steps 3 --out "$root" --json --quiet)

run_point() { # name, then the study's extra options
  local name="$1"; shift
  if [ -s "$root/$name.json" ]; then
    echo "$name: done before ($root/$name.json)"
    return
  fi
  local started; started=$(date +%s)
  nice -n 10 ${CIMHIL:-"$here/cimhil"} "${common[@]}" "$@" >"$root/$name.json.partial" 2>"$root/$name.log"
  mv "$root/$name.json.partial" "$root/$name.json"
  echo "$name: $(( $(date +%s) - started )) s"
}

run_point standard --methods standard
for p in $points; do
  IFS=: read -r beta k warmup sigma <<<"$p"
  if [ -n "${sigma:-}" ]; then
    run_point "atrice-b${beta}-k${k}-w${warmup}-s${sigma}" --methods atrice --adversary-weight "$beta" --k "$k" \
      --adversary-warmup "$warmup" --sigma "$sigma" --variation gaussian:0.1
  else
    run_point "atrice-b${beta}-k${k}-w${warmup}" --methods atrice --adversary-weight "$beta" --k "$k" --adversary-warmup "$warmup"
  fi
done

python3 "$here/scripts/atrice-tradeoff.py" "$root" "${EPOCHS:-2}" | tee "$root/tradeoff.md"
