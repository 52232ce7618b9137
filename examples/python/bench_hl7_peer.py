"""Peer benchmark: python-hl7 (https://github.com/johnpaulett/python-hl7) on the same ADT corpus
that examples/bench_hl7.rs parses.

    python3 -m venv /tmp/hl7venv && /tmp/hl7venv/bin/pip install hl7
    /tmp/hl7venv/bin/python examples/python/bench_hl7_peer.py [HL7_DIR] [MB]

python-hl7's `hl7.parse` splits a message into segments, fields, repetitions and components in
one go, so its figure compares with both the Rust structural parse and the Rust "parse + full
field walk" line; the script prints MB/s and messages/s.
"""

import os
import re
import sys
import time

import hl7

here = os.path.dirname(os.path.abspath(__file__))
default_dir = os.path.join(here, "..", "..", "..", "shared", "data", "hl7v2")
hl7_dir = sys.argv[1] if len(sys.argv) > 1 else default_dir
mb = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0

adts = []
for root, dirs, files in sorted(os.walk(hl7_dir)):
    dirs.sort()
    if "nhapi_badinputs" in root:
        continue
    for name in sorted(files):
        raw = open(os.path.join(root, name), "rb").read().lstrip(b"\xef\xbb\xbf")
        msg = []
        for seg in re.split(rb"[\r\n\x0b\x1c]+", raw):
            if not seg:
                continue
            if seg.startswith(b"MSH"):
                if msg:
                    adts.append(msg)
                msg = [seg]
            elif seg[:3] in (b"FHS", b"BHS", b"BTS", b"FTS"):
                if msg:
                    adts.append(msg)
                msg = []
            elif msg:
                msg.append(seg)
        if msg:
            adts.append(msg)
texts = []
for m in adts:
    sep = m[0][3:4]
    comp = m[0][4:5]
    fields = m[0].split(sep)
    if len(fields) > 8 and fields[8].split(comp)[0] == b"ADT":
        texts.append(b"\r".join(m).decode("utf-8", "replace") + "\r")

corpus = []
size = 0
while size < mb * 1e6:
    for t in texts:
        corpus.append(t)
        size += len(t.encode("utf-8"))
print(f"corpus: {len(texts)} ADT messages repeated to {size / 1e6:.1f} MB ({len(corpus)} messages)")

ok = 0
t0 = time.perf_counter()
for t in corpus:
    try:
        hl7.parse(t)
        ok += 1
    except Exception:
        pass
dt = time.perf_counter() - t0
print(f"python-hl7 hl7.parse: {size / dt / 1e6:.2f} MB/s, {len(corpus) / dt:,.0f} messages/s "
      f"({ok} parsed, {dt:.2f} s)")
