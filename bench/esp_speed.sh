#!/bin/sh
# bench/esp_speed.sh: the ESP engine's seal/open throughput (bench/esp_bench)
# against `openssl speed` for the same cipher and packet size, in one run.
#
#   bench/esp_speed.sh [SECONDS]      (default 2 s per measurement)
#
# Environment: BUILD (default $SRC/_build-release, an optimised build without
# sanitizers, configured and built on first use), ESP_BENCH (a prebuilt
# esp_bench binary instead), JSON (also write the rows there).
#
# Baselines (issue 3 target: ESP engine >= 70% of openssl speed):
#   AEAD suites:  openssl speed -evp CIPHER -bytes N          (seal)
#                 openssl speed -evp CIPHER -bytes N -decrypt (open)
#   CBC+HMAC:     1/(1/a + 1/b) with a = openssl speed -evp aes-NNN-cbc
#                 (or -decrypt) and b = openssl speed -hmac sha256, same N:
#                 ESP does both over the same bytes, one after the other.
# For AEAD suites the "TLS-like" per-packet sequence (`-aead`: new IV, AAD,
# tag each buffer; closer to what ESP does per packet) is shown as well.
# Both sides divide by CPU time (openssl speed's default), so other load on
# the machine affects them alike. The last two columns are OpenSSL allocations
# per sealed / opened packet, counted by esp_bench (target: 0).
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

secs=${1:-2}
if [ -z "${ESP_BENCH:-}" ]; then
	b=$(bench_build "${BUILD:-$BENCH_SRC/_build-release}") || bench_die "build failed"
	ESP_BENCH=$b/bench/esp_bench
fi
[ -x "$ESP_BENCH" ] || bench_die "no esp_bench at $ESP_BENCH"
command -v openssl >/dev/null || bench_die "openssl not installed"

# speed ARGS...: bytes/s in MB/s from `openssl speed -mr` (the +F line).
speed() {
	openssl speed -mr -seconds "$secs" "$@" 2>/dev/null |
		awk -F: '/^\+F/ { v = $NF } END { if (v == "") exit 1; printf "%.1f\n", v / 1e6 }'
}
combine() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", 1 / (1 / a + 1 / b) }'; }
pct() { awk -v x="$1" -v y="$2" 'BEGIN { if (y > 0) printf "%.0f%%\n", 100 * x / y; else print "-" }'; }

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.json"' EXIT
bench_log "running $ESP_BENCH $secs"
"$ESP_BENCH" "$secs" >"$tmp"

row='%-28s %5s %9s %9s %9s %9s %7s %7s %7s %7s %6s %6s\n'
# shellcheck disable=SC2059 # the format is the one above
printf "$row" suite bytes seal open ssl-enc ssl-dec seal% open% "seal%a" "open%a" allocs allocs
# shellcheck disable=SC2059
printf "$row" '' '' MB/s MB/s MB/s MB/s evp evp aead aead seal open
tail -n +2 "$tmp" | while read -r suite bytes seal open cipher mac sallocs oallocs; do
	enc=$(speed -bytes "$bytes" -evp "$cipher")
	dec=$(speed -bytes "$bytes" -evp "$cipher" -decrypt)
	aenc=- adec=-
	if [ "$mac" = - ]; then
		aenc=$(speed -bytes "$bytes" -evp "$cipher" -aead) || aenc=-
		adec=$(speed -bytes "$bytes" -evp "$cipher" -aead -decrypt) || adec=-
	else
		h=$(speed -bytes "$bytes" -hmac "$mac")
		enc=$(combine "$enc" "$h")
		dec=$(combine "$dec" "$h")
	fi
	ps=$(pct "$seal" "$enc")
	po=$(pct "$open" "$dec")
	pas=- pao=-
	[ "$aenc" = - ] || pas=$(pct "$seal" "$aenc")
	[ "$adec" = - ] || pao=$(pct "$open" "$adec")
	# shellcheck disable=SC2059
	printf "$row" "$suite" "$bytes" "$seal" "$open" "$enc" "$dec" "$ps" "$po" "$pas" "$pao" "$sallocs" "$oallocs"
	printf '{"suite":"%s","bytes":%s,"seal_MBps":%s,"open_MBps":%s,"openssl_enc_MBps":%s,"openssl_dec_MBps":%s,"seal_allocs_per_pkt":%s,"open_allocs_per_pkt":%s}\n' \
		"$suite" "$bytes" "$seal" "$open" "$enc" "$dec" "$sallocs" "$oallocs" >>"$tmp.json"
done
if [ -n "${JSON:-}" ]; then
	{ echo "["; sed '$!s/$/,/' "$tmp.json"; echo "]"; } >"$JSON"
	bench_log "wrote $JSON"
fi
