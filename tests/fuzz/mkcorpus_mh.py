#!/usr/bin/env python3
"""Seed tests/fuzz/corpus/mh/ from the unit-test inputs.

The `.hex = "..." "..."` strings of tests/unit/test_mh.c become corpus files
named after the SHA-1 of their bytes: every known answer and round-trip
layout, and the first malformed case of each parse reason (the corpus stays
under 40 files; the fuzzer finds the neighbours). The C macros the tables use for repeated fields are
expanded from their #define lines. Run from anywhere:
    python3 tests/fuzz/mkcorpus_mh.py
"""
import hashlib
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
src = open(os.path.join(top, "tests/unit/test_mh.c")).read()

# Object-like macros that expand to string literals, e.g. COA_HEX.
strmacros = dict(re.findall(r'#define (\w+) ("[^"\n]*")\n', src))
# Function-like ones with a Header Len digit, e.g. BU_FIXED(hl).
funmacros = {name: body for name, body in re.findall(r'#define (\w+)\(hl\) (.*)\n', src)}


def expand(expr):
    expr = re.sub(r'(\w+)\((\w+)\)',
                  lambda mo: funmacros[mo.group(1)].replace('" #hl "', mo.group(2))
                  if mo.group(1) in funmacros else mo.group(0), expr)
    expr = re.sub(r'\b([A-Z_][A-Z0-9_]*)\b', lambda mo: strmacros.get(mo.group(1), mo.group(0)), expr)
    return "".join(re.findall(r'"([^"]*)"', expr))


out = os.path.join(top, "tests/fuzz/corpus/mh")
os.makedirs(out, exist_ok=True)
seen = 0
reasons = set()
for expr, reason in re.findall(
        r'\.hex = ((?:\s*(?:"[^"]*"|[A-Z_][A-Z0-9_]*(?:\(\w+\))?))+)(?:\s*,\s*(MH_R_\w+))?', src):
    if reason:
        if reason in reasons:
            continue
        reasons.add(reason)
    hexs = re.sub(r"\s", "", expand(expr))
    data = bytes.fromhex(hexs)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    seen += 1
print(f"mkcorpus_mh: {seen} inputs -> {out}", file=sys.stderr)
