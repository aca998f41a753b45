#!/bin/sh
# Regenerate the fuzz_ip6 seed corpus from the unit-test inputs: the vectors,
# the scapy packets, the malformed table and the tunnel case of
# tests/unit/test_ip6.c (written when IP6_CORPUS_DIR is set).
#   tests/fuzz/mkcorpus_ip6.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: mkcorpus_ip6.sh BUILD_DIR}
out=$here/corpus/ip6
rm -rf "$out"
mkdir -p "$out"
make -C "$build" tests/unit/test_ip6 >/dev/null
IP6_CORPUS_DIR=$out CK_FORK=no "$build/tests/unit/test_ip6" >/dev/null
echo "mkcorpus_ip6: $(ls "$out" | wc -l) files in $out"
