#!/usr/bin/env bash
# Build every libFuzzer target in tests/fuzz/fuzz_*.c with clang and run each
# for SECONDS (default 60), starting from its seed corpus.
#   tests/fuzz/run-fuzzers.sh [SECONDS] [TARGET...]
#   M6_BUILD=DIR  a configured build directory (for config.h); default: the tree
# New inputs that grow coverage go to tests/fuzz/build/corpus-TARGET/, never
# into the committed seed corpus; crashes are left in tests/fuzz/build/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
shift || true
out=$here/build
mkdir -p "$out/obj"
cc=${CLANG:-clang}
command -v "$cc" >/dev/null || { echo "run-fuzzers: clang not found (apt-get install clang)" >&2; exit 77; }
build=${M6_BUILD:-$top}
[ -f "$build/config.h" ] || { echo "run-fuzzers: configure first, or set M6_BUILD to the build dir (no config.h)" >&2; exit 1; }

flags=(-std=c11 -g -O1 -include "$build/config.h" -I"$top/src" -I"$build"
       -fsanitize=fuzzer-no-link,address,undefined $(pkg-config --cflags libconfig libcrypto libevent))
libs=($(pkg-config --libs libconfig libcrypto libevent))

# The library the targets link: everything but the libevent adapters and the
# daemon (kstate and fwdpath are pure and have targets of their own),
# instrumented once and archived.
mapfile -t lib_srcs < <(cd "$top" && ls src/base/*.c src/wire/*.c src/conf/*.c src/ctl/*.c src/mip6/*.c \
	src/crypto/*.c src/ike/*.c src/ipsec/*.c src/fwd/fwdpath.c src/io/kstate.c src/io/nlmon_parse.c src/mobile/sigpath.c 2>/dev/null)
objs=()
jobs=0
for s in "${lib_srcs[@]}"; do
	o=$out/obj/$(echo "${s%.c}" | tr / _).o
	objs+=("$o")
	if [ ! -f "$o" ] || [ "$top/$s" -nt "$o" ]; then
		(cd "$top" && "$cc" "${flags[@]}" -c -o "$o" "$s") &
		jobs=$((jobs + 1))
		if [ $jobs -ge 2 ]; then wait -n; jobs=$((jobs - 1)); fi
	fi
done
wait
rm -f "$out/libm6fuzz.a"
ar rcs "$out/libm6fuzz.a" "${objs[@]}"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do t=$(basename "$f" .c); targets+=("${t#fuzz_}"); done
fi
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
rc=0
for t in "${targets[@]}"; do
	bin=$out/fuzz_$t
	(cd "$top" && "$cc" "${flags[@]}" -fsanitize=fuzzer -o "$bin" "tests/fuzz/fuzz_$t.c" \
		"$out/libm6fuzz.a" "${libs[@]}")
	mkdir -p "$out/corpus-$t"
	echo "== fuzz_$t for ${secs}s"
	if ! (cd "$out" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$out/corpus-$t" "$here/corpus/$t" >"$out/fuzz_$t.log" 2>&1); then
		tail -n 40 "$out/fuzz_$t.log"
		echo "fuzz_$t FAILED (log: $out/fuzz_$t.log)" >&2
		rc=1
	else
		grep -E '^stat::number_of_executed_units|^Done' "$out/fuzz_$t.log" | tr '\n' ' '
		echo
	fi
done
exit $rc
