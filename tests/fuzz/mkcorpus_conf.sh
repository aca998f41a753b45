#!/bin/sh
# Seed corpus for fuzz_conf: the shipped configurations and the broken-config
# table (the unit tests' inputs). Run from the top of the tree.
set -eu
out=tests/fuzz/corpus/conf
rm -rf "$out"
mkdir -p "$out"
cp etc/mip6sec.conf "$out/default.conf"
for f in etc/examples/*.conf; do cp "$f" "$out/example-$(basename "$f")"; done
for f in tests/conf/broken/*.conf; do cp "$f" "$out/broken-$(basename "$f")"; done
ls "$out" | wc -l
