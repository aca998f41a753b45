#!/usr/bin/env python3
"""Seed corpus for fuzz_ctl, taken from the frames in tests/unit/test_ctl.c.

Every C string (or run of adjacent strings) in the unit test that is only hex
digits and spaces and starts with a control-protocol magic ("4d36", or the
"4d37" of the bad-magic case) becomes one file, so the corpus follows the
tests. A few frames the tests build in code are added here.
    tests/fuzz/mkcorpus_ctl.py   (run from the top of the source tree)
"""
import hashlib
import os
import re
import struct

here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, '..', 'unit', 'test_ctl.c')).read()
out = os.path.join(here, 'corpus', 'ctl')
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.remove(os.path.join(out, f))

frames = []
# A run of adjacent string literals: "..." "..." (whitespace between).
for m in re.finditer(r'(?:"[0-9a-fA-F ]*"\s*)+', src):
    hexstr = ''.join(re.findall(r'"([0-9a-fA-F ]*)"', m.group(0))).replace(' ', '')
    if hexstr.startswith(('4d36', '4d37')) and len(hexstr) % 2 == 0:
        frames.append(bytes.fromhex(hexstr))


def request(cmd, flags=0, body=b''):
    return struct.pack('>2sBBBBBBI', b'M6', 1, 1, cmd, flags, 0, 0, len(body)) + body


frames += [request(cmd, cmd % 2) for cmd in range(1, 8)]
frames.append(request(4, 1, struct.pack('>HH', 1, 6) + b'0x1000'))
frames.append(request(1) + request(2))  # two pipelined frames

for data in frames:
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
print('%d files in %s' % (len(set(frames)), out))
