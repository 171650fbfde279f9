#!/usr/bin/env python3
"""Tabulates an A-TRICE trade-off sweep (scripts/atrice-tradeoff.sh): one row per point, means over the seeds with the
per-seed values, Δ clean against standard training of the same seeds, and the chosen default: the point whose clean
accuracy is within 2 points of standard's with the best worst case at k = 1 (mean of the Gaussian-box and calibrated
values; issue #23, docs/robustness.md §5)."""
import glob
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "runs/atrice-tradeoff"
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 2  # the sweep's epoch budget: a warm-up that long leaves no adversary
MAX_CLEAN_LOSS = 2.0  # points of clean accuracy A-TRICE may lose against standard training (issue #23)


def per_seed(study, method):
    """{seed: {column: value in %}} of one method of a study.json."""
    out = {}
    for r in study["rows"]:
        if r["method"] != method:
            continue
        cells = out.setdefault(r["seed"], {})
        model = r["model"]
        mc, wc = r["monteCarlo"], r["worstCase"]
        cells["clean"] = 100 * mc["cleanAccuracy"]  # no variation: the same under both models
        cells[f"mc_{model}"] = 100 * mc["mean"]
        cells[f"p1_{model}"] = 100 * mc["percentile"]
        cells["clean_wc"] = 100 * wc["cleanAccuracy"]
        cells[f"wc_{model}"] = next((100 * p["accuracy"] for p in wc["points"] if abs(p["k"] - 1) < 1e-9), float("nan"))
    for m in study["models"]:
        if m["method"] == method and m["seed"] in out:
            out[m["seed"]]["train_s"] = m["trainSeconds"]
    return out


def mean(values):
    return sum(values) / len(values)


def cell(seeds, column, digits=1):
    values = [seeds[s][column] for s in sorted(seeds)]
    text = f"{mean(values):.{digits}f}"
    return text + (" (" + " / ".join(f"{v:.{digits}f}" for v in values) + ")" if len(values) > 1 else "")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


standard_path = os.path.join(root, "standard.json")
if not os.path.exists(standard_path):
    sys.exit(f"{standard_path}: missing; run scripts/atrice-tradeoff.sh first")
standard = per_seed(load(standard_path), "standard")
columns = ["clean", "mc_gaussian", "p1_gaussian", "clean_wc", "wc_gaussian", "wc_calibrated"]
print("| method | β | adversary k | warm-up | σ_rel noise | clean | Δ clean | MC mean (gauss.) | P1 (gauss.) | clean (WC images) "
      "| worst k=1 gaussian | worst k=1 calibrated | train s/seed |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
print("| standard | — | — | — | — | " + " | ".join(
    [cell(standard, "clean"), "—"] + [cell(standard, c) for c in columns[1:]] + [f"{mean([v['train_s'] for v in standard.values()]):.0f}"]) + " |")
points = []
for path in sorted(glob.glob(os.path.join(root, "atrice-*.json"))):
    study = load(path)
    seeds = per_seed(study, "atrice")
    common = sorted(set(seeds) & set(standard))
    if not common:
        continue
    p = next(m["parameters"] for m in study["models"] if m["method"] == "atrice")
    beta, k, warmup = float(p["adversary_weight"]), float(p["k"]), int(float(p["adversary_warmup_epochs"]))
    sigma = float(p["sigma_rel"])
    delta = mean([seeds[s]["clean"] - standard[s]["clean"] for s in common])
    worst = mean([(seeds[s]["wc_gaussian"] + seeds[s]["wc_calibrated"]) / 2 for s in common])
    points.append((beta, k, warmup, delta, worst, seeds, sigma))
points.sort(key=lambda t: (t[1], t[0], t[2], -t[6]))
for beta, k, warmup, delta, worst, seeds, sigma in points:
    note = "" if warmup < EPOCHS else " (rcn only: warm-up = budget)"
    print(f"| atrice{note} | {beta:g} | {k:g} | {warmup} | {sigma:g} | " + " | ".join(
        [cell(seeds, "clean"), f"{delta:+.1f}"] + [cell(seeds, c) for c in columns[1:]] + [f"{mean([v['train_s'] for v in seeds.values()]):.0f}"]) + " |")
print()
eligible = [t for t in points if t[3] >= -MAX_CLEAN_LOSS and t[2] < EPOCHS]
if eligible:
    best = max(eligible, key=lambda t: t[4])
    print(f"Chosen default: β = {best[0]:g}, adversary k = {best[1]:g}, warm-up {best[2]}, σ_rel {best[6]:g} — clean {best[3]:+.1f} points against "
          f"standard, mean worst case at k = 1 (Gaussian box and calibrated) {best[4]:.1f} % "
          f"(standard {mean([(v['wc_gaussian'] + v['wc_calibrated']) / 2 for v in standard.values()]):.1f} %).")
else:
    closest = max(points, key=lambda t: t[3]) if points else None
    print("No point within 2 points of standard's clean accuracy" + (
        f"; closest: β = {closest[0]:g}, adversary k = {closest[1]:g}, warm-up {closest[2]} ({closest[3]:+.1f} points)." if closest else "."))
print()
print("Cells: mean over the seeds (each seed's value in parentheses), percent; Δ clean: mean over seeds of the paired "
      "difference from standard training; worst case on the first WC images of the test set.")
