#!/usr/bin/env bash
# The one test command: formatting, lints, Rust tests, the C header and C programs (static and
# shared), the Python wheel and its tests. Installs what it needs into .venv (ignored by git).
# Usage: bash tests/run.sh          (from anywhere; CI calls it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
step() { printf '\n==> %s\n' "$*"; }

step "python venv (.venv) with maturin, pytest, numpy, pandas, pyarrow, polars, mypy, notebook tools"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check \
  "maturin>=1.9.4,<2" "pytest>=8" "numpy>=1.26" pandas pyarrow polars mypy \
  tqdm matplotlib nbformat nbclient ipykernel
export PYO3_PYTHON="$ROOT/.venv/bin/python"
export VIRTUAL_ENV="$ROOT/.venv"
export PATH="$ROOT/.venv/bin:$PATH"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (workspace, all targets, -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (core + ffi)"
cargo test --locked

step "include/cin.h is the header the ffi sources generate"
if git rev-parse --git-dir >/dev/null 2>&1; then
  git diff --exit-code -- include/cin.h || { echo "include/cin.h is stale: commit the regenerated header"; exit 1; }
fi

step "libcin (release, static and shared)"
cargo build --release --locked -p cin-ffi
bash tests/c/run_c.sh

step "python package (maturin develop --release), release wheel, pytest, stubtest"
rm -f python/py_src/cin_core/*.so
maturin develop --release --locked -m python/Cargo.toml -q
# The same release build packed as a wheel; test_wheel.py installs it into a fresh venv with
# no index, so numpy's wheel is put beside it.
rm -rf target/wheels
maturin build --release --locked -m python/Cargo.toml -q -o target/wheels
python -m pip download -q --disable-pip-version-check --only-binary=:all: --no-deps -d target/wheels \
  "numpy==$(python -c 'import numpy; print(numpy.__version__)')"
CIN_WHEEL_DIR="$ROOT/target/wheels" python -m pytest -q tests/python
python -m mypy.stubtest cin_core._cin_core cin_core.exceptions --allowlist tests/python/stubtest-allowlist.txt

step "the main job runs (network report on the built-in synthetic network)"
cargo run --release --locked -q --example network_report -- --patients 2000 --json > target/network_report.json
python - <<'PY'
import json
r = json.load(open("target/network_report.json"))
for key in ("counts", "ingest", "readmissions_30d", "followup_7d", "followup_30d"):
    assert key in r, key
assert r["counts"]["patients"] == 2000, r["counts"]
print("network_report --json: ok,", r["counts"]["patients"], "patients")
PY

echo
echo "all test suites passed"
