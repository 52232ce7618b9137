"""Checks from many threads: same answers as one thread, and a load in the middle is safe."""

import threading
from concurrent.futures import ThreadPoolExecutor

import cin_core


def _workload(net):
    t = net.drug_interactions().to_pydict()
    pids = sorted(set(t["patient_id"]))[:40]
    drugs = ["ibuprofen", "warfarin", "simvastatin", "amlodipine", "lisinopril", "metformin"]
    return [(p, d) for p in pids for d in drugs]


def test_concurrent_check_prescription_matches_serial():
    net = cin_core.Network.synthetic(patients=2_000, seed=11)
    work = _workload(net) * 5
    serial = [net.check_prescription(p, d, at="2025-06-01") for p, d in work]
    assert sum(len(a) for a in serial) > 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda w: net.check_prescription(w[0], w[1], at="2025-06-01"), work))
    assert parallel == serial


def test_checks_run_while_another_thread_loads(shared_data):
    net = cin_core.Network.synthetic(patients=1_000, seed=5)
    work = _workload(net)
    expected = {w: net.check_prescription(w[0], w[1], at="2025-06-01") for w in work}
    stop = threading.Event()
    errors = []

    def checker():
        while not stop.is_set():
            for w in work:
                got = net.check_prescription(w[0], w[1], at="2025-06-01")
                if got != expected[w]:  # loads add other patients only
                    errors.append(w)

    threads = [threading.Thread(target=checker) for _ in range(3)]
    for th in threads:
        th.start()
    try:
        rep = net.load_synthea_csv(shared_data / "synthea_csv")
        net.load_claims_tuva(shared_data / "claims_tuva")
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert rep.loaded["patients"] == 11
    assert net.counts()["patients"] == 1_000 + 11 + 50
    assert errors == []


def test_heavy_calls_release_the_gil():
    """A Python thread keeps running while the engine builds a network and scores 2M rows: with
    the GIL held it could not run at all inside the native call."""
    import time

    import numpy as np

    from cin_core import _cin_core
    from cin_core._columns import string_column

    stamps = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            stamps.append(time.perf_counter())
            time.sleep(0.001)

    th = threading.Thread(target=spin)
    th.start()
    try:
        windows = []
        t0 = time.perf_counter()
        cin_core.Network.synthetic(patients=30_000, seed=1)
        windows.append((t0, time.perf_counter()))
        pids = np.repeat(np.arange(200_000), 10).astype(str)
        codes = np.tile(np.array(["I50.9", "E11.9", "J44.9", "C78.0", "N18.4"]), 400_000)
        p, c = string_column(pids, "patient_ids"), string_column(codes, "codes")
        t0 = time.perf_counter()
        _cin_core.charlson(p, c, "quan2011")  # the native call alone
        windows.append((t0, time.perf_counter()))
    finally:
        stop.set()
        th.join()
    for start, end in windows:
        if end - start < 0.05:
            continue  # too quick to tell on a fast machine
        inside = [s for s in stamps if start < s < end]
        assert len(inside) >= 3, (end - start, len(inside))
