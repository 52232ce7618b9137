"""progress=True: a tqdm bar when tqdm is installed, a plain stderr line otherwise; silent by default."""

import sys

import pytest

import cin_core


def test_silent_by_default(capsys):
    cin_core.Network.synthetic(patients=100, seed=1)
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""


def test_plain_stderr_without_tqdm(monkeypatch, capsys, shared_data):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    net = cin_core.Network()
    rep = net.load_synthea_csv(shared_data / "synthea_csv", progress=True)
    err = capsys.readouterr().err
    total = sum(rep.loaded.values())
    assert f"{total:,} records" in err and err.endswith("\n")
    assert "Synthea CSV" in err


def test_tqdm_bar_when_installed(capsys):
    pytest.importorskip("tqdm")
    net = cin_core.Network.synthetic(patients=2_000, seed=3, progress=True)
    err = capsys.readouterr().err
    assert "synthetic network (2,000 patients)" in err
    assert net.counts()["patients"] == 2_000


def test_failed_load_still_closes_the_display(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(cin_core.IoError):
        cin_core.Network().load_fhir(tmp_path / "missing", progress=True)
    assert "failed" in capsys.readouterr().err
