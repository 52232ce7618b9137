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

step "risk scores against the peers (comorbidipy >= 0.8, hccpy) in a Python >= 3.12 venv"
# comorbidipy 0.8 needs a newer Python than the main venv may have: use the newest 3.12+ found
# (PATH or pyenv). Without one, or without the peers on the package index, say so and go on.
PEER_PY=""
for cand in python3.14 python3.13 python3.12 \
  $(ls -d "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.1[2-9]* 2>/dev/null | sort -rV | sed 's|$|/bin/python3|'); do
  if "$cand" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then
    PEER_PY=$(command -v "$cand" || echo "$cand"); break
  fi
done
if [ -z "$PEER_PY" ]; then
  echo "skipped: no Python >= 3.12 on this machine"
else
  [ -x .venv-peers/bin/python ] || "$PEER_PY" -m venv .venv-peers
  if .venv-peers/bin/python -m pip install -q --disable-pip-version-check \
      "comorbidipy>=0.8" hccpy "setuptools<81" polars pandas numpy "pytest>=8"; then
    .venv-peers/bin/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
      target/wheels/cin_core-*.whl
    .venv-peers/bin/python -m pytest -q -rs tests/python/test_risk_peers.py
  else
    echo "skipped: comorbidipy >= 0.8 or hccpy could not be installed for $($PEER_PY --version)"
  fi
fi

step "the main job runs (network report on the built-in synthetic network)"
cargo run --release --locked -q --example network_report -- --patients 2000 --json > target/network_report.json
python - <<'PY'
import json
r = json.load(open("target/network_report.json"))
for key in ("counts", "ingest", "readmissions_30d", "followup_7d", "followup_30d", "risk",
            "duplicate_tests", "drug_interactions", "measures"):
    assert key in r, key
assert r["counts"]["patients"] == 2000, r["counts"]
assert sum(r["risk"]["tiers"].values()) == 2000, r["risk"]["tiers"]
assert r["duplicate_tests"]["count"] >= r["duplicate_tests"]["cross_org"] > 0
assert sum(r["drug_interactions"]["by_severity"].values()) == r["drug_interactions"]["count"] > 0
ids = {m["id"] for m in r["measures"]}
assert {"hba1c_poor_control", "readmission_30d", "duplicate_test_rate", "ddi_exposure_rate"} <= ids, ids
assert all(m["numerator"] <= m["denominator"] or m["id"] == "ed_visits_per_1000" for m in r["measures"])
print("network_report --json: ok,", r["counts"]["patients"], "patients")
PY

echo
echo "all test suites passed"
