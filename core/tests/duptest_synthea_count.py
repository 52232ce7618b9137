#!/usr/bin/env python3
"""Independent count of duplicate tests in a Synthea CSV export (observations only).

Re-implements the documented rule of cin_core::duptest from rules.json, without the Rust code:
  * rows of one patient with the same DATE and ENCOUNTER form a group; a group holds a family
    when a row names it (family codes) or when >= components.min of its components are present;
    families contained (transitively) in another family of the group are dropped;
  * a later event repeats an earlier one when their families share a family (the largest
    family contained in both); interval = calendar-day difference of the wall-clock dates;
    for each event the most recent earlier overlapping event with interval < advisory_days of
    the shared family is the match (events of the same encounter are one test unless that
    encounter is inpatient, and two events on one calendar day at one organisation, or with a
    date-only time on either side, are one test); the match is suppressed when the shared family is inpatient_exempt
    and both lie in one inpatient encounter, or when the interval <= confirm_within_days and a
    row of the prior group in the shared family is outside its reference range (unit matches),
    unless the prior itself followed an abnormal result within that window (confirm once);
  * organisation of a row = ORGANIZATION of its encounter.
With --procedures, procedures.csv rows (SNOMED, time = START) are results too.
Monitoring exceptions need medications and are not loaded here.
Usage: python3 duptest_synthea_count.py <synthea_csv_dir> [--procedures]
"""
import csv, json, os, sys
from collections import defaultdict
from datetime import date

here = os.path.dirname(os.path.abspath(__file__))
rules = json.load(open(os.path.join(here, "..", "data", "duptest", "rules.json")))
d = sys.argv[1]
fams = rules["families"]
fid = {f["id"]: i for i, f in enumerate(fams)}
direct, comp, ranges = {}, defaultdict(set), {}
for i, f in enumerate(fams):
    for c in f.get("codes", {}).get("LOINC", []):
        direct[c] = i
    for c in f.get("codes", {}).get("SNOMED", []):
        direct["sct:" + c] = i
    for c in (f.get("components") or {}).get("LOINC", []):
        comp[c].add(i)
    for r in f.get("reference_ranges", []):
        ranges[r["code"]] = r

def closure(i, seen=None):
    seen = seen if seen is not None else set()
    seen.add(i)
    for c in fams[i].get("contains", []):
        if fid[c] not in seen:
            closure(fid[c], seen)
    return seen
clos = [closure(i) for i in range(len(fams))]

def overlap(a, b):
    common = clos[a] & clos[b]
    if not common:
        return None
    covered = set()
    for k in common:
        covered |= clos[k] - {k}
    return min(common - covered)

window = [max(fams[k]["advisory_days"] for k in range(len(fams)) if clos[i] & clos[k]) for i in range(len(fams))]

enc = {}
for r in csv.DictReader(open(os.path.join(d, "encounters.csv"))):
    enc[r["Id"]] = (r["ORGANIZATION"], r["ENCOUNTERCLASS"])

def day(s):
    return date(int(s[0:4]), int(s[5:7]), int(s[8:10])).toordinal()

groups = defaultdict(list)
unknown = 0
for r in csv.DictReader(open(os.path.join(d, "observations.csv"))):
    c = r["CODE"]
    if c not in direct and c not in comp:
        unknown += 1
        continue
    groups[(r["PATIENT"], r["DATE"], r["ENCOUNTER"])].append(r)

if "--procedures" in sys.argv:
    for r in csv.DictReader(open(os.path.join(d, "procedures.csv"))):
        c = "sct:" + r["CODE"]
        if c not in direct:
            unknown += 1
            continue
        row = {"CODE": c, "VALUE": "", "UNITS": ""}
        groups[(r["PATIENT"], r["START"], r["ENCOUNTER"])].append(row)

events = defaultdict(list)  # patient -> [(date, encounter, family, rows)]
for (p, t, e), rows in groups.items():
    rec = set()
    counts = defaultdict(int)
    for r in rows:
        if r["CODE"] in direct:
            rec.add(direct[r["CODE"]])
        for k in comp.get(r["CODE"], ()):
            counts[k] += 1
    for k, n in counts.items():
        if n >= fams[k]["components"]["min"]:
            rec.add(k)
    covered = set()
    for k in rec:
        covered |= clos[k] - {k}
    for k in rec - covered:
        events[p].append((t, e, k, rows))

def abnormal(rows, fam):
    for r in rows:
        c = r["CODE"]
        inside = (c in direct and direct[c] in clos[fam]) or bool(comp.get(c, set()) & clos[fam])
        rg = ranges.get(c)
        if not inside or rg is None:
            continue
        try:
            v = float(r["VALUE"])
        except ValueError:
            continue
        if rg.get("units") and r["UNITS"].lower() not in [u.lower() for u in rg["units"]]:
            continue
        if ("low" in rg and v < rg["low"]) or ("high" in rg and v > rg["high"]):
            return True
    return False

def was_confirmation(evs, i, o):
    t1, e1, f1, rows1 = evs[i]
    confirm = fams[o].get("confirm_within_days", fams[o]["advisory_days"])
    for k in range(i - 1, -1, -1):
        t0, e0, f0, rows0 = evs[k]
        if day(t1) - day(t0) > confirm:
            break
        if overlap(f0, o) is None or (t0, e0) == (t1, e1):
            continue
        if e0 == e1 and enc[e0][1] != "inpatient":
            continue
        if day(t0) == day(t1) and (enc[e0][0] == enc[e1][0] or len(t0) == 10 or len(t1) == 10):
            continue
        return abnormal(rows0, o)
    return False

out = dict(count=0, cross_org=0, same_org=0, test_events=0, unknown_codes=unknown,
           suppressed_confirmation=0, suppressed_inpatient=0, by_family=defaultdict(int))
for p, evs in events.items():
    evs.sort(key=lambda x: (x[0], x[1]))
    out["test_events"] += len(evs)
    for j, (t2, e2, f2, rows2) in enumerate(evs):
        for i in range(j - 1, -1, -1):
            t1, e1, f1, rows1 = evs[i]
            iv = day(t2) - day(t1)
            if iv >= window[f2]:
                break
            if (t1, e1) == (t2, e2):
                continue
            o = overlap(f1, f2)
            if o is None:
                continue
            if e1 == e2 and enc[e1][1] != "inpatient":
                continue
            if iv == 0 and (enc[e1][0] == enc[e2][0] or len(t1) == 10 or len(t2) == 10):
                continue
            fam = fams[o]
            if iv >= fam["advisory_days"]:
                continue
            if fam.get("inpatient_exempt") and e1 == e2 and enc[e1][1] == "inpatient":
                out["suppressed_inpatient"] += 1
            elif iv <= fam.get("confirm_within_days", fam["advisory_days"]) and abnormal(rows1, o) \
                    and not was_confirmation(evs, i, o):
                out["suppressed_confirmation"] += 1
            else:
                out["count"] += 1
                out["by_family"][fam["id"]] += 1
                if enc[e1][0] == enc[e2][0]:
                    out["same_org"] += 1
                else:
                    out["cross_org"] += 1
            break
out["by_family"] = dict(sorted(out["by_family"].items()))
print(json.dumps(out, indent=1))
