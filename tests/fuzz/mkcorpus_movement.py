#!/usr/bin/env python3
"""Seed tests/fuzz/corpus/movement/ with the event sequences of
tests/unit/test_movement.c, written as programs for
tests/fuzz/fuzz_movement.c (layout in its header comment). Interfaces:
1 eth0, 2 wlan0, 3 wwan0, 4 usb0, 5 tun9. Addresses by index: 0 home
2001:db8:1::55, 1 a::1, 2 a::2, 3 b::2, 4 c::3, 5 fe80::1, 6 aa::1, 7 ::.
Prefixes: 0 home, 1 a::/64, 2 aa::/64, 3 b::/64.
    python3 tests/fuzz/mkcorpus_movement.py
"""
import os

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "movement")

INF = 255
TENT, DEPR, DADF, LINK = 1, 2, 4, 8
def op(code, *args): return [code] + list(args) + [0] * (5 - len(args))
def up(i): return op(0, i - 1, 1)
def down(i): return op(0, i - 1, 0)
def addr(i, a, fl=0, pl=INF, vl=INF): return op(1, i - 1, a, fl, pl, vl)
def dele(i, a): return op(2, i - 1, a)
def rt(i, which=1, add=1): return op(3, i - 1, 0, which, add)
def ra(i, life, npfx, p0=0, p1=0): return op(4, i - 1, life, npfx, p0, p1)
def ms(n): return op(5, n >> 8, n & 0xff)
def tick(): return op(6)
def attach(i, a): return up(i) + rt(i) + addr(i, a)

scenarios = {
    "preference": [0, 1] + attach(3, 4) + up(2) + addr(2, 3) + rt(2)
    + up(1) + rt(1) + addr(1, 1, TENT) + ms(1000) + addr(1, 1)
    + addr(1, 5, LINK) + addr(1, 2, DADF) + dele(1, 1),
    "deprecated": [0, 1] + up(2) + rt(2) + addr(2, 3, DEPR) + addr(2, 3, 0, 10)
    + tick() + tick(),
    "link_down": [100, 1] + attach(1, 1) + attach(2, 3) + down(1) + down(2)
    + up(1) + rt(1),
    "router_change": [0, 1] + attach(1, 1) + rt(1, 0) + ra(1, 200, 1, 1)
    + rt(1, 1, 0) + rt(1, 0, 0) + tick(),
    "advertised": [0, 1] + attach(1, 2) + addr(1, 6) + ra(1, 60, 2, 2, 1),
    "home": [0, 1] + attach(1, 1) + up(2) + addr(2, 0, TENT) + addr(2, 0) + rt(2)
    + down(2) + up(2) + ra(2, 180, 1, 0) + down(1) + down(2),
    "home_no_router": [0, 0] + up(2) + addr(2, 0) + down(2),
    "hold": [50, 1] + attach(3, 4) + ms(1000) + attach(2, 3) + ms(200) + down(2)
    + ms(50) + up(2) + ms(50) + rt(2) + tick() + tick() + down(2),
    "unknown": [0, 1] + attach(4, 1) + attach(5, 3) + attach(3, 4) + dele(3, 2),
    "lifetimes": [0, 1] + up(1) + rt(1) + addr(1, 1, 0, 3, 5) + addr(1, 2, 0, 1, 2)
    + tick() + tick() + tick() + tick(),
}

os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.remove(os.path.join(out, f))
for name, prog in scenarios.items():
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(bytes(prog))
