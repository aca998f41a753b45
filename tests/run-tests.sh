#!/usr/bin/env bash
# The whole mip6sec test suite: installs what is missing, builds with gcc under
# AddressSanitizer + UBSan and runs `make check` (unit, codec vectors, fuzz
# corpus replay, tshark decoding, network-namespace tests when root), checks
# that clang builds the tree warning-free, and runs each libFuzzer target
# briefly (FUZZ_SECONDS, default 10).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tests/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

[ -x configure ] || autoreconf -fi >/dev/null

echo "== clang -Wall -Wextra -Werror build"
rm -rf _build-clang && mkdir _build-clang
(cd _build-clang && ../configure -q CC=clang --enable-werror >/dev/null && make -s -j"$jobs" all && make -s -j"$jobs" check TESTS= >/dev/null)

echo "== gcc + ASan/UBSan build and make check"
rm -rf _build-gcc && mkdir _build-gcc
cd _build-gcc
../configure -q CC=gcc --enable-werror --enable-sanitizers >/dev/null
make -s -j"$jobs" >/dev/null
rc=0
make -j"$jobs" check || rc=$?
if [ $rc -ne 0 ]; then
	# The .trs files say ":test-result: FAIL"; print each failing test's log
	# tail last, so a CI page that keeps only the end shows why it failed.
	for f in $(find . -name '*.trs'); do
		grep -q '^:test-result: \(FAIL\|ERROR\)' "$f" && {
			echo "---- ${f%.trs}.log: its FAIL lines, then its end"
			grep -a '^FAIL' "${f%.trs}.log" | head -n 40
			echo "----"
			tail -n 60 "${f%.trs}.log"
		}
	done
	exit $rc
fi
cd "$top"

echo "== libFuzzer runs (${FUZZ_SECONDS:-10}s each)"
M6_BUILD="$top/_build-gcc" CLANG=clang bash tests/fuzz/run-fuzzers.sh "${FUZZ_SECONDS:-10}"
echo "run-tests: all passed"
