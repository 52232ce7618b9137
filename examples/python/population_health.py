# %% [markdown]
# # Population health with cin_core
#
# A first tour of a clinically integrated network in Python: load a network, then look at the
# risk pyramid, chronic-disease registries, readmissions by hospital, duplicate tests by
# organisation, drug interactions by severity and quality measures by practice. Charts are
# saved as PNG files (default `target/population_health/`, never committed).
#
#     python examples/python/population_health.py [--patients 5000] [--synthea] [--out DIR]
#
# `--synthea` loads the real Synthea CSV export and Tuva claims in `../shared/data` instead of
# the built-in synthetic network. The same steps are in `population_health.ipynb`.

# %%
import argparse
import os
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # a script writes files; a notebook also shows the charts inline
import matplotlib.pyplot as plt
import pandas as pd

import cin_core

ap = argparse.ArgumentParser(description="cin_core population-health tour")
ap.add_argument("--patients", type=int, default=int(os.environ.get("CIN_PATIENTS", "5000")))
ap.add_argument("--seed", type=int, default=42)
ap.add_argument("--synthea", action="store_true", default=os.environ.get("CIN_SYNTHEA") == "1")
ap.add_argument("--out", default=os.environ.get("CIN_OUT", "target/population_health"))
args, _ = ap.parse_known_args()  # a notebook kernel adds its own arguments
OUT = Path(args.out)
OUT.mkdir(parents=True, exist_ok=True)
print("cin_core", cin_core.__version__, "-> charts in", OUT)

# %% [markdown]
# ## Load a network
# The built-in synthetic network is deterministic for a (patients, seed) pair. With `--synthea`
# the shared test data is loaded instead: every load returns an `IngestReport` with the
# records loaded per kind and each issue with its location.

# %%
def shared_data() -> Path:
    env = os.environ.get("CIN_SHARED_DATA")
    if env:
        return Path(env)
    for p in [Path.cwd(), *Path.cwd().parents]:
        if (p / "shared" / "data").is_dir():
            return p / "shared" / "data"
    raise SystemExit("shared/data not found: set CIN_SHARED_DATA")


if args.synthea:
    data = shared_data()
    net = cin_core.Network()
    for rep in (
        net.load_synthea_csv(data / "synthea_csv", progress=True),
        net.load_claims_tuva(data / "claims_tuva", progress=True),
    ):
        print(rep, "issues:", [(e.location, e.message) for e in rep.errors[:3]])
else:
    net = cin_core.Network.synthetic(patients=args.patients, seed=args.seed, progress=True)
counts = net.counts()
print(net)
pd.Series(counts)

# %% [markdown]
# ## Risk pyramid
# One row per patient with Charlson, Elixhauser, CMS-HCC V28, LACE and the tier the care
# managers work from.

# %%
risk = net.risk().to_pandas()
order = ["low", "moderate", "high", "very_high"]
tiers = risk["tier"].value_counts().reindex(order, fill_value=0)
fig, ax = plt.subplots(figsize=(6, 3.5))
# A pyramid: the widest tier at the bottom.
ax.barh(range(len(order)), tiers.values, color=["#9ecae1", "#6baed6", "#3182bd", "#08519c"])
ax.set_yticks(range(len(order)), order)
ax.set_xlabel("patients")
ax.set_title("Risk pyramid")
fig.tight_layout()
fig.savefig(OUT / "risk_pyramid.png", dpi=110)
tiers

# %% [markdown]
# ## Chronic-disease registries

# %%
registries = net.registries().to_pandas()
by_registry = registries["registry"].value_counts()
fig, ax = plt.subplots(figsize=(6, 3.5))
by_registry.plot.bar(ax=ax, color="#31a354")
ax.set_ylabel("patients")
ax.set_title("Registry membership")
fig.tight_layout()
fig.savefig(OUT / "registries.png", dpi=110)
by_registry

# %% [markdown]
# ## 30-day readmissions by hospital
# The readmission table names the index stay; joining the encounter table gives the
# discharging hospital. `cross_org` marks readmissions to another organisation, which only a
# network-wide record can see.

# %%
readmits = net.readmissions(days=30).to_pandas()
encounters = net.encounters().to_pandas()
hospital_of = encounters.set_index("encounter_id")["org_id"]
readmits["hospital"] = readmits["index_encounter_id"].map(hospital_of)
by_hospital = readmits.groupby(["hospital", "cross_org"]).size().unstack(fill_value=0)
fig, ax = plt.subplots(figsize=(7, 3.5))
if len(by_hospital):
    by_hospital.plot.bar(stacked=True, ax=ax)
else:  # small extracts may hold no readmission at all
    ax.text(0.5, 0.5, "no 30-day readmission in this data", ha="center", transform=ax.transAxes)
ax.set_ylabel("readmissions within 30 days")
ax.set_title("Readmissions by discharging hospital")
fig.tight_layout()
fig.savefig(OUT / "readmissions_by_hospital.png", dpi=110)
by_hospital

# %% [markdown]
# ## Duplicate tests by organisation
# Repeats of a test inside its minimum retest interval, counted at the organisation that
# ordered the repeat.

# %%
dups = net.duplicate_tests().to_pandas()
by_org = dups.groupby(["repeat_org", "test_family"]).size().unstack(fill_value=0)
fig, ax = plt.subplots(figsize=(8, 4))
if len(by_org):
    top = by_org.loc[by_org.sum(axis=1).sort_values(ascending=False).index[:12]]
    top.plot.barh(stacked=True, ax=ax)
else:
    ax.text(0.5, 0.5, "no duplicate test in this data", ha="center", transform=ax.transAxes)
ax.set_xlabel("duplicate tests")
ax.set_title("Duplicate tests by ordering organisation")
fig.tight_layout()
fig.savefig(OUT / "duplicate_tests_by_org.png", dpi=110)
by_org

# %% [markdown]
# ## Drug interactions by severity

# %%
ddi = net.drug_interactions().to_pandas()
severity_order = ["minor", "moderate", "major", "contraindicated"]
by_severity = ddi["severity"].value_counts().reindex(severity_order, fill_value=0)
fig, ax = plt.subplots(figsize=(6, 3.5))
by_severity.plot.bar(ax=ax, color=["#fdd0a2", "#fdae6b", "#e6550d", "#a63603"])
ax.set_ylabel("interacting pairs")
ax.set_title("Active drug interactions by severity")
fig.tight_layout()
fig.savefig(OUT / "interactions_by_severity.png", dpi=110)
by_severity

# %% [markdown]
# ## Quality measures by practice
# Rates for every measure at the network, organisation, practice and practitioner levels,
# for the last full calendar year in the data.

# %%
measures = net.measures().to_pandas()
practice = measures[measures["level"] == "practice"]
rates = practice.pivot_table(index="entity_id", columns="measure_id", values="rate")
shown = [m for m in ("hba1c_poor_control", "bp_controlled", "breast_cancer_screening",
                     "colorectal_cancer_screening", "followup_7d") if m in rates.columns]
fig, ax = plt.subplots(figsize=(8, 4))
if len(rates) and shown:
    rates[shown].plot.bar(ax=ax)
    ax.legend(fontsize=7)
else:
    ax.text(0.5, 0.5, "no practice-level measure in this data", ha="center", transform=ax.transAxes)
ax.set_ylabel("rate")
ax.set_title("Measures by practice")
fig.tight_layout()
fig.savefig(OUT / "measures_by_practice.png", dpi=110)
rates

# %% [markdown]
# ## Point of care
# The same network answers order-entry and prescribing checks.

# %%
if len(ddi):
    row = ddi.iloc[0]
    for alert in net.check_prescription(row["patient_id"], row["drug_b"]):
        print(alert.kind, alert.severity, "-", alert.message)
print("charts:", sorted(p.name for p in OUT.glob("*.png")))
