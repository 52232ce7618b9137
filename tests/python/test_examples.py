"""The population-health example: the committed notebook matches the script, and both run to the
end and write every chart."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EX = ROOT / "examples" / "python"
CHARTS = {
    "risk_pyramid.png",
    "registries.png",
    "readmissions_by_hospital.png",
    "duplicate_tests_by_org.png",
    "interactions_by_severity.png",
    "measures_by_practice.png",
}


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_notebook_is_generated_from_the_script():
    make = _load("make_notebook", EX / "make_notebook.py")
    src = (EX / "population_health.py").read_text(encoding="utf-8")
    committed = (EX / "population_health.ipynb").read_text(encoding="utf-8")
    assert committed == make.render(src), "run: python examples/python/make_notebook.py"


def test_script_runs_on_the_synthetic_network(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")
    env = dict(os.environ, CIN_OUT=str(tmp_path), MPLBACKEND="Agg")
    r = subprocess.run(
        [sys.executable, str(EX / "population_health.py"), "--patients", "1500"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert {p.name for p in tmp_path.glob("*.png")} == CHARTS
    assert all(p.stat().st_size > 5_000 for p in tmp_path.glob("*.png"))
    assert "drug_interaction" in r.stdout


def test_notebook_executes_on_shared_data(tmp_path, shared_data):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    nb = nbformat.read(str(EX / "population_health.ipynb"), as_version=4)
    env_keys = {"CIN_OUT": str(tmp_path), "CIN_SYNTHEA": "1", "CIN_SHARED_DATA": str(shared_data)}
    old = {k: os.environ.get(k) for k in env_keys}
    os.environ.update(env_keys)  # the kernel inherits the environment
    try:
        client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                         resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert {p.name for p in tmp_path.glob("*.png")} == CHARTS
    out = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "61 patients" in out  # 11 Synthea patients + 50 Tuva claims patients
