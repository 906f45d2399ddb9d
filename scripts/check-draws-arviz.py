#!/usr/bin/env python3
"""Cross-checks a run's saved draws against the real NumPy and ArviZ.

    python3 scripts/check-draws-arviz.py RUN_DIR DRAWS_DIR

RUN_DIR holds run.json (gfn-compare run --out RUN_DIR), DRAWS_DIR the folder written by
--save-draws. For every Markov-chain sampler (mh, gfn-mh) it loads the draws with NumPy, builds an
ArviZ InferenceData with az.from_dict, and checks that ArviZ's rank-normalised split R-hat and bulk
and tail ESS of the energy and magnetisation equal the values in run.json within a relative
1e-6 (both sides compute the same formulas in double precision; the tolerance covers summation
order only). It also checks, for every sampler, that the mean of energy.npy is run.json's
mean energy and that the states reproduce the magnetisation (M = sum of spin_values[x_i]).
Exits 1 naming every mismatch.
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)  # ArviZ 0.23 announces its 1.0 refactor
import arviz as az  # noqa: E402
import numpy as np  # noqa: E402

TOLERANCE = 1e-6


def close(a, b, tol=TOLERANCE):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def main(run_dir, draws_dir):
    run = json.load(open(os.path.join(run_dir, "run.json")))
    index = json.load(open(os.path.join(draws_dir, "draws.json")))
    metrics = {s["name"]: s["metrics"] for s in run["samplers"]}
    spins = np.asarray(index["spin_values"])
    failures, checked = [], 0
    for s in index["samplers"]:
        name = s["name"]
        m = metrics[name]
        arrays = {k: np.load(os.path.join(draws_dir, v["file"])) for k, v in s["arrays"].items()}
        for k, v in s["arrays"].items():
            if list(arrays[k].shape) != v["shape"] or str(arrays[k].dtype) != v["dtype"]:
                failures.append(f"{name}/{k}: shape {arrays[k].shape} {arrays[k].dtype}, index says {v['shape']} {v['dtype']}")
        energy, magnetization, states = arrays["energy"], arrays["magnetization"], arrays["states"]
        if not np.array_equal(spins[states.astype(np.int64)].sum(axis=-1), magnetization):
            failures.append(f"{name}: the states do not give the saved magnetisation")
        if not close(energy.mean(), m["mean_energy"], 1e-9):
            failures.append(f"{name}: mean of energy.npy {energy.mean()!r} vs run.json {m['mean_energy']!r}")
        checked += 2
        if s["independent"]:
            continue
        data = az.from_dict(posterior={"energy": energy, "magnetization": magnetization})
        rhat = az.rhat(data, method="rank")
        bulk = az.ess(data, method="bulk")
        tail = az.ess(data, method="tail")
        for var, key in [("energy", "energy"), ("magnetization", "magnetization")]:
            for label, ours, theirs in [("rhat", m.get(f"rhat_{key}"), float(rhat[var])),
                                        ("ess_bulk", m.get(f"ess_bulk_{key}"), float(bulk[var])),
                                        ("ess_tail", m.get(f"ess_tail_{key}"), float(tail[var]))]:
                checked += 1
                if ours is None or not close(ours, theirs):
                    failures.append(f"{name} {label} {var}: run.json {ours!r}, ArviZ {az.__version__} {theirs!r}")
                else:
                    print(f"{name:7s} {label:8s} {var:13s} run.json {ours:.10g}  ArviZ {theirs:.10g}")
    for f in failures:
        print("MISMATCH", f)
    print(f"{checked - len(failures)} of {checked} checks agree (ArviZ {az.__version__}, NumPy {np.__version__})")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
