#!/usr/bin/env python3
"""Summarises the runs of scripts/scale-bench.sh (one folder per configuration, each with run.json
and the /usr/bin/time -v output beside it) as a Markdown table. Every figure is read from the
records; nothing is typed in by hand."""
import json, pathlib, re, sys

out = pathlib.Path(sys.argv[1])
rows = []
for run in sorted(out.glob("ising-*/run.json"), key=lambda p: (int(p.parent.name.split("-")[1].split("x")[0]), p.parent.name)):
    r = json.loads(run.read_text())
    gfn = next(s for s in r["samplers"] if s["name"] == "gfn")["metrics"]
    mh = next(s for s in r["samplers"] if s["name"] == "mh")["metrics"]
    exact = r["exact"]["log_z"]
    time_file = run.parent.parent / (run.parent.name + ".time")
    peak = None
    if time_file.exists():
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_file.read_text())
        peak = int(m.group(1)) / 1024 if m else None
    def d(v):
        return "n/a" if v is None else f"{v - exact:+.3f}"
    modes = gfn.get("mode_mass") or {}
    masses = f"{modes['positive']:.3f} / {modes['negative']:.3f}" if modes else "n/a"
    ess = gfn.get("log_z_importance_ess")
    se = gfn.get("log_z_importance_se")
    is_text = d(gfn.get("log_z_importance"))
    if ess is not None and ess < 100:
        is_text += f" (ESS {ess:.0f}: unusable)"
    elif se is not None:
        is_text += f" ± {se:.3f} (ESS {ess:.0f})"
    e_err = None
    if gfn.get("mean_energy_mcse"):
        e_err = (gfn["mean_energy"] - gfn["mean_energy_exact"]) / gfn["mean_energy_mcse"]
    g = r["config"]["gfn"]
    rows.append("| {} | {} | {} | {:.0f} | {} | {} | {} | {} | {} | {} |".format(
        r["config"]["energy"]["lattice"], r["config"]["energy"]["beta"],
        f'{g["objective"]}{" forward-looking" if g.get("forward_looking") else ""}, '
        f'{"patch " + str(2 * g["patch_radius"] + 1) + "×" + str(2 * g["patch_radius"] + 1) + " " + str(g["layers"]) + "×" + str(g["hidden"]) if g.get("patch_radius") else "one-hot " + g.get("head", "shared") + " head"}, {g["iterations"]} it., '
        f'lr-logz {g["learning_rate_log_z"]:g}{" cosine" if g.get("learning_rate_schedule") == "cosine" else ""}'
        f'{", spin-flip mixture" if g.get("spin_flip_mixture") else ""}',
        gfn["training_seconds"], d(gfn.get("log_z_learned")), is_text,
        f'{gfn["log_z_elbo"] - exact:+.3f}' if gfn.get("log_z_elbo") is not None else "n/a",
        masses, "n/a" if e_err is None else f"{e_err:+.1f}",
        "n/a" if peak is None else f"{peak:.0f}"))
print("| lattice | β | GFlowNet | training (s) | Δ log Z learned | Δ log Z importance-sampled | Δ ELBO | mass m > 0 / m < 0 | ⟨E⟩ error (MCSE) | peak memory (MB) |")
print("|---|---:|---|---:|---:|---:|---:|---|---:|---:|")
print("\n".join(rows))
print()
print("Δ = estimate − Kaufman's exact log Z of the finite periodic lattice; the ⟨E⟩ error is (GFlowNet ⟨E⟩ − Kaufman's ⟨E⟩) / MCSE.")
