"""Peak memory of one Charlson call on a polars frame, cin_core or comorbidipy, in a fresh process.

    BENCH_RISK_CSV=/tmp/risk_bench.csv target/release/examples/bench_risk 1000000 10 grouped
    .venv-peers/bin/python examples/python/bench_risk_memory.py /tmp/risk_bench.csv comorbidipy
    .venv/bin/python examples/python/bench_risk_memory.py /tmp/risk_bench.csv cin_core

Reads the patient and code columns with polars (as polars reads a CSV: in chunks, strings as
views), imports the tool, lets the allocator hand back what reading freed, notes the resident
size, makes the call and notes the peak: the difference is what the call adds over the loaded
frame and the imported modules (the import's own size is printed too). On Linux the peak
is reset first (/proc/self/clear_refs) so that reading's own peak does not hide the call's;
elsewhere ru_maxrss is used, which never goes down, so run each tool in its own process.
cin_core needs pyarrow beside polars to take the columns as Arrow buffers. Prints the figures;
asserts nothing.
"""
import resource
import sys
import time
import warnings


def _status_mib(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    raise KeyError(key)


def baseline_mib() -> float:
    """Resident size now, with the peak reset to it where the system allows."""
    time.sleep(2)  # polars' allocator returns freed pages after a moment
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_mib("VmRSS:")
    except OSError:
        return peak_mib()


def peak_mib() -> float:
    try:
        return _status_mib("VmHWM:")
    except (OSError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import polars as pl

    path, tool = sys.argv[1], sys.argv[2]
    df = pl.read_csv(path, columns=["patient_id", "code"],
                     schema_overrides={"patient_id": pl.Utf8, "code": pl.Utf8})
    before_import = baseline_mib()
    if tool == "cin_core":
        import cin_core
        import pyarrow  # noqa: F401  (what cin_core reads the columns with)

        def call():
            return cin_core.charlson(df, patient="patient_id", code="code")
    else:
        warnings.filterwarnings("ignore")
        from comorbidipy import comorbidity

        def call():
            return comorbidity(df, id_col="patient_id", code_col="code", score="charlson",
                               icd="icd10", variant="quan", weighting="quan", assign0=True)
    before = baseline_mib()
    t = time.perf_counter()
    out = call()
    took = time.perf_counter() - t
    after = peak_mib()
    print(f"{tool}: {len(out):,} patients in {took:.2f} s; RSS {before_import:.0f} MiB after "
          f"reading, +{before - before_import:.0f} MiB importing, {before:.0f} MiB before the "
          f"call, peak {after:.0f} MiB during it (+{after - before:.0f})")


if __name__ == "__main__":
    main()
