"""The release wheel installs into a fresh virtual environment and imports there, and its native
module does not link libpython (abi3 extension modules must not).

tests/run.sh builds the wheel (``maturin build --release``) and points CIN_WHEEL_DIR at it; a
numpy wheel for the fresh environment is taken from the same directory (no index is used).
Skips without CIN_WHEEL_DIR."""

import glob
import os
import subprocess
import sys
import zipfile

import pytest

WHEEL_DIR = os.environ.get("CIN_WHEEL_DIR")
pytestmark = pytest.mark.skipif(not WHEEL_DIR, reason="CIN_WHEEL_DIR not set (tests/run.sh sets it)")


def _wheel():
    wheels = sorted(glob.glob(os.path.join(WHEEL_DIR, "cin_core-*.whl")), key=os.path.getmtime)
    assert wheels, f"no cin_core wheel in {WHEEL_DIR}"
    return wheels[-1]


def test_wheel_is_abi3_and_has_the_package():
    whl = _wheel()
    assert "-cp39-abi3-" in os.path.basename(whl)
    names = zipfile.ZipFile(whl).namelist()
    for f in ("cin_core/__init__.py", "cin_core/py.typed", "cin_core/_cin_core.pyi", "cin_core/exceptions.py"):
        assert f in names, f
    assert any(n.startswith("cin_core/_cin_core") and n.endswith(".so") for n in names)


def test_native_module_does_not_need_libpython(tmp_path):
    whl = _wheel()
    so = next(n for n in zipfile.ZipFile(whl).namelist() if n.startswith("cin_core/_cin_core") and n.endswith(".so"))
    zipfile.ZipFile(whl).extract(so, tmp_path)
    out = subprocess.run(["readelf", "-d", str(tmp_path / so)], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("readelf not available")
    needed = [l for l in out.stdout.splitlines() if "NEEDED" in l]
    assert needed and not any("libpython" in l for l in needed), needed


def test_wheel_installs_into_a_fresh_venv_and_imports(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index",
         "--find-links", WHEEL_DIR, _wheel()],
        check=True, timeout=300,
    )
    code = (
        "import cin_core, sys\n"
        "net = cin_core.Network.synthetic(patients=300, seed=2)\n"
        "assert net.counts()['patients'] == 300\n"
        "assert [a.kind for a in cin_core.check_interactions(['warfarin', 'ibuprofen'])] == ['drug_interaction']\n"
        "assert cin_core.charlson(['p'], ['I50.9']).to_pydict()['score'] == [2]\n"
        "for m in ('pandas', 'pyarrow', 'polars'):\n"
        "    assert m not in sys.modules, m\n"
        "print('ok', cin_core.__version__)\n"
    )
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok ")
