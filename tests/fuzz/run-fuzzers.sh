#!/usr/bin/env bash
# Build every libFuzzer target in tests/fuzz/fuzz_*.c with clang and run each
# for SECONDS (default 60), starting from its seed corpus.
#   tests/fuzz/run-fuzzers.sh [SECONDS] [TARGET...]
# New inputs that grow coverage go to tests/fuzz/build/corpus-TARGET/, never
# into the committed seed corpus; crashes are left in tests/fuzz/build/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
shift || true
out=$here/build
mkdir -p "$out"
cc=${CLANG:-clang}
command -v "$cc" >/dev/null || { echo "run-fuzzers: clang not found (apt-get install clang)" >&2; exit 77; }
build=${M6_BUILD:-$top}
[ -f "$build/config.h" ] || { echo "run-fuzzers: configure first, or set M6_BUILD to the build dir (no config.h)" >&2; exit 1; }

# Every library source except the daemon's I/O and entry point: parsers and
# their base layer are what the targets link.
mapfile -t lib_srcs < <(cd "$top" && ls src/base/*.c src/wire/*.c src/conf/*.c src/ctl/*.c 2>/dev/null | grep -v -e '/ctl/ctl_server.c')
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do t=$(basename "$f" .c); targets+=("${t#fuzz_}"); done
fi
flags=(-std=c11 -g -O1 -include "$build/config.h" -I"$top/src" -I"$build"
       -fsanitize=fuzzer,address,undefined $(pkg-config --cflags libconfig libcrypto))
libs=($(pkg-config --libs libconfig libcrypto))
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
rc=0
for t in "${targets[@]}"; do
	bin=$out/fuzz_$t
	(cd "$top" && "$cc" "${flags[@]}" -o "$bin" "tests/fuzz/fuzz_$t.c" "${lib_srcs[@]}" "${libs[@]}")
	mkdir -p "$out/corpus-$t"
	echo "== fuzz_$t for ${secs}s"
	if ! (cd "$out" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$out/corpus-$t" "$here/corpus/$t" 2>&1 | tail -n 12); then
		echo "fuzz_$t FAILED" >&2
		rc=1
	fi
done
exit $rc
