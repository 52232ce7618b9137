"""Differential check of cin_core's risk scores against comorbidipy and hccpy, run through the
`risk_csv` example (until the Python binding exists). Usage, from the repository root:

    cargo build --release -p cin-core --example risk_csv
    .venv-bench/bin/python examples/python/compare_risk_peers.py [target/release/examples/risk_csv]

RISK_PEERS_N=30000 runs a larger set (over 200k rows, so the multi-threaded path is used).
Prints, per score, how many of the 10,000 seeded patients differ from the peer as shipped and
from the peer with its documented errors corrected (see tests/python/risk_peers_common.py).
Exit status 1 when any patient differs from a corrected peer.
"""
import csv
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "python"))
import risk_peers_common as C  # noqa: E402


def run_ours(binary, score, rows, tmp):
    src = os.path.join(tmp, "in.csv")
    dst = os.path.join(tmp, f"{score}.csv")
    with open(src, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_id", "code", "age", "sex"])
        w.writerows(rows)
    subprocess.run([binary, score, src, dst], check=True)
    cols = {}
    with open(dst) as f:
        r = csv.DictReader(f)
        for rec in r:
            for k, v in rec.items():
                cols.setdefault(k, []).append(v)
    if "hccs" in cols:
        cols["hccs"] = [v.split() for v in cols["hccs"]]
        cols["score"] = [float(v) if v else None for v in cols["score"]]
    return cols


def main():
    from comorbidipy.calculators.comorbidity import colnames

    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join("target", "release", "examples", "risk_csv")
    n = int(os.environ.get("RISK_PEERS_N", C.N_PATIENTS))
    rows = C.generate(n=n)
    print(f"{len(rows)} rows, {len({r[0] for r in rows})} patients")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for score in ("charlson", "elixhauser"):
            ours = run_ours(binary, score, rows, tmp)
            cats = list(colnames[score])
            raw = C.compare_index(ours, C.comorbidipy_table(rows, score, corrected=False), cats)
            fixed = C.compare_index(ours, C.comorbidipy_table(rows, score, corrected=True), cats)
            print(f"{score}: differ from comorbidipy as shipped {len(raw)}, corrected {len(fixed)}")
            if score == "charlson":
                peer = C.comorbidipy_table(rows, score, corrected=False)
                unexplained = [
                    pid for i, pid in enumerate(ours["patient_id"])
                    if int(ours["score"][i]) - peer[pid]["comorbidity_score"] != (2 if ours["aids"][i] == "1" else 0)
                ]
                print(f"  differences not explained by the AIDS/HIV weight: {len(unexplained)}")
                failed |= bool(unexplained)
            failed |= bool(fixed)
            if fixed:
                print("  e.g.", fixed[:5])
        for v in ("24", "28"):
            ours = run_ours(binary, f"hcc_v{v}", rows, tmp)
            raw = C.compare_hcc(ours, C.hccpy_table(rows, v, corrected=False))
            fixed = C.compare_hcc(ours, C.hccpy_table(rows, v, corrected=True))
            print(f"hcc V{v}: differ from hccpy as shipped {len(raw)}, corrected {len(fixed)}")
            failed |= bool(fixed)
            if fixed:
                print("  e.g.", fixed[:5])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
