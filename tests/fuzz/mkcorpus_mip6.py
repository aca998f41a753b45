#!/usr/bin/env python3
"""Seed tests/fuzz/corpus/mip6/ with the scenarios of the unit and exchange
tests (tests/unit/test_ha.c, test_mn.c, test_mip6x.c), written as programs
for tests/fuzz/fuzz_mip6.c.

Input layout: the first half is the program (3 setup bytes: DAD on/off, BRA
percent, MN lifetime/4 - 1; then opcodes with operands), the second half
feeds the MN's random bytes. Opcodes (op % 10): 0 BU to the HA, 1 DAD
result, 2 +ms (u16), 3 +4 s units (u8), 4 CoA change, 5 return home, 6 BA
to the MN, 7 BE to the MN, 8 deliver queued messages, 9 BE from the HA. Addresses by index:
0 the HoA, 1 another HoA, 2 CoA A, 3 CoA B, 4 off-link, 5 fe80::1,
6 ff02::1, 7 the HA. Run from anywhere:
    python3 tests/fuzz/mkcorpus_mip6.py
"""
import hashlib
import os

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "mip6")

DELIVER = [8]
def coa(i): return [4, i]
def home(): return [5]
def dad(ok): return [1, 0, 1 if ok else 0]
def ms(n): return [2, n >> 8, n & 0xff]
def secs4(n): return [3, n]
def bu(facts, hoa, src, seq, flags, life, alt):
    return [0, facts, hoa, src, seq >> 8, seq & 0xff, flags >> 8, flags & 0xff,
            life >> 8, life & 0xff, alt]
def ba(facts, status, seqdelta, life, bra):
    return [6, facts, status, seqdelta, life >> 8, life & 0xff, bra >> 8, bra & 0xff]
def be(status, hoa): return [7, 0, status, hoa]
def ha_be(to, hoa, status): return [9, to, hoa, status]

AH = 0xC000
scenarios = {
    # test_mip6x: registration with DAD, then an hour of refreshes
    "register_refresh": [1, 80, 29] + coa(2) + ms(5) + DELIVER + dad(True) + DELIVER
    + secs4(24) + DELIVER + DELIVER + secs4(24) + DELIVER + DELIVER,
    # CoA A -> B
    "coa_change": [0, 80, 29] + coa(2) + DELIVER + DELIVER + ms(10000) + coa(3) + DELIVER + DELIVER,
    # lost first BU: retransmission after 1.5 s
    "lost_first_bu": [0, 80, 29] + coa(2) + ms(1600) + DELIVER + DELIVER,
    # return home and the delete delay
    "return_home": [0, 80, 29] + coa(2) + DELIVER + DELIVER + home() + DELIVER + DELIVER
    + ms(10000),
    # test_ha: replayed BU -> 135, foreign HoA -> 129, no ESP, nonce indices
    "ha_table": [0, 80, 29]
    + bu(0x11, 0, 2, 10, AH, 100, 2) + bu(0x11, 0, 2, 10, AH, 100, 2)
    + bu(0x15, 1, 2, 1, AH, 100, 2) + bu(0x13, 0, 2, 11, AH, 100, 2)
    + bu(0x31, 0, 2, 12, AH, 100, 2) + bu(0x11, 0, 2, 13, AH, 0, 2),
    # DAD failure -> 134
    "dad_fail": [1, 80, 29] + coa(2) + DELIVER + dad(False) + DELIVER,
    # test_mn: 135 resync, 129 backoff, 134, BE status 1, BRA
    "mn_ba": [0, 80, 29] + coa(2) + ba(0, 135, 0, 0, 0) + ba(0, 129, 0, 0, 0) + ms(3100)
    + ba(8, 0, 0, 25, 10) + be(1, 0) + ba(0, 134, 0, 0, 0),
    # test_mip6x: HA restart, its Binding Error makes the MN register again
    "ha_be": [0, 80, 29] + coa(2) + DELIVER + DELIVER + ms(20000) + ha_be(2, 0, 1) + DELIVER
    + DELIVER + DELIVER,
    # MAX_UPDATE_RATE: four CoAs in 300 ms
    "update_rate": [0, 80, 29] + coa(2) + ms(100) + coa(3) + ms(100) + coa(2) + ms(100)
    + coa(3) + ms(1000),
}

os.makedirs(out, exist_ok=True)
for old in os.listdir(out):
    os.unlink(os.path.join(out, old))
for name, prog in scenarios.items():
    data = bytes(prog) + bytes((i * 37 + 11) & 0xff for i in range(len(prog)))
    with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)
print(f"{len(scenarios)} seeds in {out}")
