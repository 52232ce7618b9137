"""Shared pieces of the differential tests against comorbidipy (Charlson, Elixhauser) and hccpy
(CMS-HCC): a seeded synthetic long diagnosis table, the peers' documented errors and how to
correct them, and the comparison itself.

Peer errors corrected before comparing (each checked against the peer's source and the paper):

1. comorbidipy 0.8 "quan" Charlson weights give AIDS/HIV (codes B20, B21, B22, B24) 2 points;
   Quan et al., Am J Epidemiol 2011;173(6):676-82, table 2 gives 4. cin_core uses 4, so every
   patient with the `aids` flag scores exactly 2 more than comorbidipy.
2. hccpy 0.1.9 V28 reads the hierarchy with a one-line regex, so the parents whose exclusion
   list wraps to a second line in CMS's V28115H1 macro are lost: HCC 191 (excludes 180, 181,
   182, 192, 253, 254), 192 (180, 181, 182, 253, 254), 221 (222-227), 222 (223-227).
   E.g. I50.84 (222) + I50.22 (226) keeps both in hccpy.
3. hccpy 0.1.9 V28 zeroes HCC 223 without another heart-failure HCC (CMS's "heart interaction
   patch") but leaves the key in its counter, so 223 still removes 224-227 in the hierarchy loop
   (Z95.811 + I42.8 loses 227). CMS's V2823T2M sets CC223 = 0 before the hierarchy macro, so the
   dropped 223 removes nothing.
The corrected peer (weights/hierarchy fixed as above, everything else as shipped) must agree
with cin_core on every patient; the uncorrected disagreements are counted and reported.
"""
import random
import re

SEED = 20240601
N_PATIENTS = 10_000


def _prefix_lists():
    from comorbidipy.codemaps.mapping import mapping

    out = []
    for key in ("charlson_icd10_quan", "elixhauser_icd10_quan"):
        for pats in mapping[key].values():
            out.extend(pats)
    return sorted(set(out))


def _hcc_codes():
    import hccpy.hcc as H

    out = set()
    for v in ("24", "28"):
        out.update(H.HCCEngine(version=v).dx2cc.keys())
    return sorted(out)


TRICKY = [
    "I5084", "I5022", "Z95811", "I428", "I5021", "I509", "C50911", "C50912", "J449", "J410",
    "D66", "D67", "P040", "P0411", "E1121", "E119", "E1165", "G20A1", "I4710", "F01B18",
    "I82B21", "G35", "G8220", "G8250", "F0390", "G309", "B20", "B24", "K7030", "I8500",
    "C7800", "C787", "N186", "N184", "Z992", "F3481", "F200", "F1020", "E6601", "R64",
    "I10", "I110", "I130", "I120",
]
NOISE = ["Z0000", "R51", "M545", "J069", "Z23", "K219", "E785", "R05", "", " "]


def generate(seed=SEED, n=N_PATIENTS):
    """Rows (patient_id, code, age, sex) with ~10 codes a patient; codes dotless upper case."""
    rng = random.Random(seed)
    prefixes = _prefix_lists()
    hcc = _hcc_codes()
    rows = []
    for i in range(n):
        pid = f"P{i:06d}"
        age = rng.choice([rng.randint(0, 64), rng.randint(65, 100), rng.randint(65, 100)])
        sex = rng.choice("MF")
        for _ in range(rng.randint(1, 20)):
            r = rng.random()
            if r < 0.35:
                p = rng.choice(prefixes)
                code = p + "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 3 - min(len(p) - 3, 2))))
            elif r < 0.75:
                code = rng.choice(hcc)
            elif r < 0.85:
                code = rng.choice(TRICKY)
            else:
                code = rng.choice(NOISE)
            rows.append((pid, code.strip() if code.strip() else code, age, sex))
    rng.shuffle(rows)
    return rows


# ---------- comorbidipy ----------

def comorbidipy_table(rows, score, corrected):
    import polars as pl
    from comorbidipy import comorbidity
    from comorbidipy.codemaps import weights as weight_tables

    w = weight_tables["charlson_icd10_quan"]["quan"]
    saved = w["aids"]
    if corrected:
        w["aids"] = 4  # Quan 2011 (peer error 1)
    try:
        df = pl.DataFrame(
            {"id": [r[0] for r in rows], "code": [r[1] for r in rows]}
        )
        weighting = "quan" if score == "charlson" else "van_walraven"
        out = comorbidity(df, id_col="id", code_col="code", score=score, icd="icd10",
                          variant="quan", weighting=weighting, assign0=True)
    finally:
        w["aids"] = saved
    res = {}
    for rec in out.to_dicts():
        res[rec["id"]] = rec
    return res


# ---------- hccpy ----------

def _correct_hccpy(engine):
    """Peer errors 2 and 3: wrapped hierarchy parents, and the 223 patch order."""
    from importlib import resources

    fn = {"28": "V28115H1.TXT", "24": "V24H86H1.TXT"}[engine.version]
    text = (resources.files("hccpy") / "data" / fn).read_text()
    hier = {}
    for cc, lst in re.findall(r"%SET0\(CC=(\d+)\s*,\s*HIER=%STR\(([^)]*)\)\)", text, re.S):
        hier["HCC" + cc] = ["HCC" + x.strip() for x in lst.replace("\n", " ").split(",") if x.strip()]
    engine.hier = hier
    if engine.version == "28":
        from collections import Counter

        def apply_hierarchy(cc_dct, age, sex, self=engine):
            cc = set()
            for lst in cc_dct.values():
                cc.update(c for c in lst if c != "HCCNA")
            if "HCC223" in cc and not cc & {"HCC221", "HCC222", "HCC224", "HCC225", "HCC226"}:
                cc.discard("HCC223")
            cnt = Counter(cc)
            for k, v in self.hier.items():
                if k in cc:
                    for x in v:
                        cnt[x] -= 1
            return [k for k, v in cnt.items() if v > 0]

        engine._apply_hierarchy = apply_hierarchy
    return engine


def hccpy_table(rows, version, corrected):
    from hccpy.hcc import HCCEngine

    eng = HCCEngine(version=version)
    if corrected:
        eng = _correct_hccpy(eng)
    by_pid = {}
    demo = {}
    for pid, code, age, sex in rows:
        by_pid.setdefault(pid, []).append(code)
        demo[pid] = (age, sex)
    res = {}
    for pid, codes in by_pid.items():
        age, sex = demo[pid]
        # Segment from age (hccpy scores an under-65 patient in an aged segment as 0 demographic).
        elig, orec = ("CNA", "0") if age >= 65 else ("CND", "1")
        prof = eng.profile(codes, age=age, sex=sex, elig=elig, orec=orec)
        hccs = sorted((h for h in prof["hcc_lst"] if re.fullmatch(r"HCC\d+", h)), key=lambda h: int(h[3:]))
        res[pid] = (hccs, prof["risk_score"])
    return res


# ---------- comparison ----------

def compare_index(ours, peer, categories):
    """ours: dict column -> list (patient_id first); returns list of mismatching patient ids."""
    bad = []
    idx = {pid: i for i, pid in enumerate(ours["patient_id"])}
    if set(idx) != set(peer):
        missing = set(peer) ^ set(idx)
        bad.extend(sorted(missing))
    for pid, rec in peer.items():
        i = idx.get(pid)
        if i is None:
            continue
        if int(ours["score"][i]) != int(round(rec["comorbidity_score"])):
            bad.append(pid)
            continue
        if any(int(ours[c][i]) != int(rec[c]) for c in categories):
            bad.append(pid)
    return bad


def compare_hcc(ours, peer):
    bad = []
    idx = {pid: i for i, pid in enumerate(ours["patient_id"])}
    for pid, (hccs, score) in peer.items():
        i = idx.get(pid)
        if i is None or list(ours["hccs"][i]) != hccs or ours["score"][i] is None \
                or abs(float(ours["score"][i]) - score) > 6e-5:
            bad.append(pid)
    if set(idx) != set(peer):
        bad.extend(sorted(set(idx) ^ set(peer)))
    return bad
