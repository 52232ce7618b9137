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
