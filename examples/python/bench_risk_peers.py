"""Times comorbidipy (Charlson quan, Elixhauser van Walraven) and hccpy (V24, V28) on the rows
bench_risk generates, for comparison with cin_core's figures. From the repository root:

    BENCH_RISK_CSV=/tmp/risk_bench.csv target/release/examples/bench_risk 100000 10 grouped
    .venv-bench/bin/python examples/python/bench_risk_peers.py /tmp/risk_bench.csv [hcc_patients]

Compute time only (the CSV is read first, untimed). hccpy scores one patient per Python call;
it is timed on the first `hcc_patients` patients (default 20,000) and scaled linearly.
Prints peak RSS (ru_maxrss) at the end.
"""
import resource
import sys
import time
import warnings

warnings.filterwarnings("ignore")


def main():
    import polars as pl
    from comorbidipy import comorbidity
    from hccpy.hcc import HCCEngine

    path = sys.argv[1]
    hcc_n = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    df = pl.read_csv(path, schema_overrides={"patient_id": pl.Utf8, "code": pl.Utf8, "sex": pl.Utf8})
    n_pat = df["patient_id"].n_unique()
    print(f"{df.height} rows, {n_pat} patients")
    for score, weighting in (("charlson", "quan"), ("elixhauser", "van_walraven")):
        t = time.perf_counter()
        out = comorbidity(df, id_col="patient_id", code_col="code", score=score, icd="icd10",
                          variant="quan", weighting=weighting, assign0=True)
        print(f"comorbidipy {score:10} {time.perf_counter() - t:8.3f} s ({out.height} patients)")
    groups = {}
    demo = {}
    for pid, code, age, sex in df.iter_rows():
        if pid not in groups and len(groups) >= hcc_n:
            continue
        groups.setdefault(pid, []).append(code)
        demo[pid] = (age, sex)
    for v in ("24", "28"):
        eng = HCCEngine(version=v)
        t = time.perf_counter()
        for pid, codes in groups.items():
            age, sex = demo[pid]
            elig, orec = ("CNA", "0") if age >= 65 else ("CND", "1")
            eng.profile(codes, age=age, sex=sex, elig=elig, orec=orec)
        dt = time.perf_counter() - t
        print(f"hccpy V{v} {len(groups)} patients {dt:8.3f} s -> {dt * n_pat / len(groups):8.1f} s for {n_pat}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
