"""Speed of the Python binding against the engine underneath it, in one process on the same data.

1. Per-call overhead of ``Network.check_prescription``: the whole Python call (argument passing,
   GIL release, lock, alert conversion to ``Alert`` objects) minus the core check alone
   (``NativeNetwork._bench_check_prescription`` times the core call in Rust on the same inputs).
2. ``cin_core.charlson`` on an N-row pandas DataFrame (default 10,000,000 rows: 1,000,000 patients
   x 10 ICD-10-CM codes drawn like examples/bench_risk.rs) against the pure-Rust Charlson call on
   the same rows (``_cin_core._bench_charlson``), which reads the Arrow buffers in place.

    python examples/python/bench_python.py [--rows 10000000] [--patients 10000] [--calls 200000]

Needs a release build (``maturin develop --release -m python/Cargo.toml``), numpy, pandas and
pyarrow. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import time

import numpy as np

import cin_core
from cin_core import _cin_core
from cin_core._columns import string_column

ROOT = pathlib.Path(__file__).resolve().parents[2]


def code_pool() -> list:
    """ICD-10-CM codes from the bundled CMS-HCC and Quan lists plus Z-code noise (as bench_risk.rs)."""
    pool = set()
    for name in ("hcc_v28_dx.tsv", "hcc_v24_dx.tsv"):
        for line in (ROOT / "core/data/risk" / name).read_text().splitlines():
            if line and not line.startswith("#"):
                pool.add(line.split("\t")[0])
    for name in ("charlson_icd10_quan.tsv", "elixhauser_icd10_quan.tsv"):
        for line in (ROOT / "core/data/risk" / name).read_text().splitlines():
            if line and not line.startswith("#") and "\t" in line:
                pool.update(p + "9" for p in line.split("\t", 1)[1].split())
    pool.update(f"Z{n:04d}" for n in range(2000))
    return sorted(pool)


def bench_check_prescription(patients: int, calls: int) -> None:
    net = cin_core.Network.synthetic(patients=patients, seed=42)
    pids = list(net.risk()["patient_id"])
    at = "2025-06-01"
    # A patient and drug with no alert (pure overhead), and one with alerts (plus conversion).
    quiet = next(p for p in pids if not net.check_prescription(p, "amoxicillin", at=at))
    ddi = net.drug_interactions().to_pydict()
    loud_pid, loud_drug = ddi["patient_id"][0], ddi["drug_b"][0]
    n_alerts = len(net.check_prescription(loud_pid, loud_drug, at=at))
    print(f"check_prescription on the synthetic network ({patients:,} patients), {calls:,} calls each:")
    for label, pid, drug in (("no alert", quiet, "amoxicillin"), (f"{n_alerts} alerts", loud_pid, loud_drug)):
        native = net._native
        py_times, rust_times = [], []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(calls):
                net.check_prescription(pid, drug, at=at)
            py_times.append((time.perf_counter() - t) / calls)
            rust_times.append(native._bench_check_prescription(pid, drug, at, None, calls) / calls)
        py_us, rust_us = min(py_times) * 1e6, min(rust_times) * 1e6
        print(f"  {label:>9}: Python call {py_us:6.2f} µs, core check {rust_us:6.2f} µs, "
              f"overhead {py_us - rust_us:5.2f} µs per call")


def make_frame(rows: int, per_patient: int = 10):
    import pandas as pd
    import pyarrow as pa

    rng = np.random.default_rng(7)
    pool = pa.array(code_pool())
    n_pat = rows // per_patient
    pid_dict = pa.array([f"P{i:08d}" for i in range(n_pat)])
    pid_idx = np.repeat(np.arange(n_pat, dtype=np.int32), per_patient)[:rows]
    code_idx = rng.integers(0, len(pool), size=rows, dtype=np.int32)
    pid = pa.DictionaryArray.from_arrays(pa.array(pid_idx), pid_dict).dictionary_decode()
    dx = pa.DictionaryArray.from_arrays(pa.array(code_idx), pool).dictionary_decode()
    return pd.DataFrame({"pid": pd.Series(pid, dtype="str"), "dx": pd.Series(dx, dtype="str")}), len(pool)


def bench_charlson(rows: int) -> None:
    t = time.perf_counter()
    df, pool = make_frame(rows)
    print(f"\ncharlson on a {rows:,}-row pandas DataFrame ({df['pid'].dtype} columns, "
          f"{rows // 10:,} patients, {pool:,} distinct codes; built in {time.perf_counter() - t:.1f} s):")
    whole, conv, checked, core = [], [], [], []
    for _ in range(5):  # interleaved; the minimum is the figure least disturbed by other load
        t = time.perf_counter()
        out = cin_core.charlson(df, patient="pid", code="dx")
        whole.append(time.perf_counter() - t)
        t = time.perf_counter()
        p, c = string_column(df["pid"], "patient_ids"), string_column(df["dx"], "codes")
        conv.append(time.perf_counter() - t)
        assert p[0] == "arrow" and c[0] == "arrow"
        a, b = _cin_core._bench_charlson(p, c, "quan2011")
        checked.append(a)
        core.append(b)
    w, k = min(whole), min(core)
    print(f"  cin_core.charlson(df, patient=, code=): min {w:.3f} s, median {statistics.median(whole):.3f} s"
          f"  ({len(out):,} patients out)")
    print(f"  of which pandas -> Arrow buffers {min(conv) * 1e3:.1f} ms, "
          f"buffers checked {min(checked) * 1e3:.1f} ms")
    print(f"  pure-Rust charlson on the same rows: min {k:.3f} s, median {statistics.median(core):.3f} s")
    print(f"  ratio Python / Rust (min / min): {w / k:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--calls", type=int, default=200_000)
    a = ap.parse_args()
    bench_check_prescription(a.patients, a.calls)
    bench_charlson(a.rows)


if __name__ == "__main__":
    main()
