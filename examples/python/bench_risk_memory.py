"""Peak memory of one Charlson call on a polars frame, cin_core or comorbidipy, in a fresh process.

    BENCH_RISK_CSV=/tmp/risk_bench.csv target/release/examples/bench_risk 1000000 10 grouped
    .venv-peers/bin/python examples/python/bench_risk_memory.py /tmp/risk_bench.csv comorbidipy
    .venv/bin/python examples/python/bench_risk_memory.py /tmp/risk_bench.csv cin_core

Reads the patient and code columns with polars, notes the process's peak RSS (ru_maxrss), makes
the call and notes it again: the difference is what the call adds over the loaded frame. Run each
tool in its own process (ru_maxrss never goes down). cin_core needs pyarrow beside polars to take
the columns as Arrow buffers. Prints the figures; asserts nothing.
"""
import resource
import sys
import time
import warnings


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import polars as pl

    path, tool = sys.argv[1], sys.argv[2]
    df = pl.read_csv(path, columns=["patient_id", "code"],
                     schema_overrides={"patient_id": pl.Utf8, "code": pl.Utf8})
    before = peak_mib()
    t = time.perf_counter()
    if tool == "cin_core":
        import cin_core

        out = cin_core.charlson(df, patient="patient_id", code="code")
    else:
        warnings.filterwarnings("ignore")
        from comorbidipy import comorbidity

        out = comorbidity(df, id_col="patient_id", code_col="code", score="charlson", icd="icd10",
                          variant="quan", weighting="quan", assign0=True)
    took = time.perf_counter() - t
    after = peak_mib()
    print(f"{tool}: {len(out):,} patients in {took:.2f} s; peak RSS {before:.0f} MiB after reading, "
          f"{after:.0f} MiB after the call (+{after - before:.0f})")


if __name__ == "__main__":
    main()
