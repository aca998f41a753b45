# shellcheck shell=sh
# bench/lib.sh: helpers shared by the bench scripts (sourced, not run).
# BENCH_SRC is the source tree (the directory above bench/).
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)

bench_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
bench_die() { bench_log "$*"; exit 1; }

# bench_build DIR [CONFIGURE-ARGS...]: configure the source tree out of tree
# in DIR (once), build the daemon and bench/esp_bench, print DIR. Benchmarks
# use an optimised build without sanitizers; the soak passes --enable-sanitizers.
bench_build() {
	dir=$1
	shift
	mkdir -p "$dir" || return 1
	(
		cd "$BENCH_SRC" && { test -x configure || autoreconf -fi >/dev/null 2>&1; } &&
			cd "$dir" && { test -f Makefile || "$BENCH_SRC/configure" -q "$@"; } &&
			make -j2 -s mip6sec bench/esp_bench >/dev/null
	) >&2 || return 1
	printf '%s\n' "$dir"
}
