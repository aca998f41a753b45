#!/usr/bin/env bash
# shellcheck disable=SC2086 # pid lists split on purpose
# bench/ike.sh: IKE_SA setups per second of mip6sec's responder against
# strongSwan charon's, in the same run, and heap per IKE SA (issue 5;
# docs/BENCHMARKS.md, section IKE). Root (namespaces), ~2 minutes.
#
#   responder C: charon-systemd            load L: bench/ike_load
#   fd6b:e1::1 cv ----------------------- lc fd6b:e1::2
#   responder M: mip6sec daemon (RESPONDER=engine: bench/ike_resp)
#   fd6b:e2::1 mv ----------------------- lm fd6b:e2::2
#   (the local TS fd6f:20::/64 of both responders has fd6f:20::1 on lo:
#    kernel-libipsec installs a route per CHILD_SA from an address inside it)
#
# Both responders run during the whole run with the same suite
# (aes256gcm16-prfsha256-x25519, ESP aes256gcm16), PSK, identities and
# selectors; for each concurrency level ike_load runs DURATION seconds
# against charon, then against ours. A setup is IKE_SA_INIT + IKE_AUTH with
# its CHILD_SA, then Delete(IKE) so tables stay at the concurrency; then the
# same childless (RFC 6023 form, see docs). CPU per setup: utime + stime of
# the responder process (/proc/PID/stat, all threads) over the point,
# divided by the setups; ike_load reports its own.
# Wall-clock setups/s on a shared 2-core machine is each process's fair
# share of the CPU as much as its cost, so the report also gives setups per
# second of responder CPU (1e6 / CPU µs per setup): the divisor esp_speed.sh
# uses, which load from others skews alike for both.
# Then the table: TABLE_COUNT setups with their CHILD_SA and no Delete
# against each responder, RSS growth per IKE SA (VmRSS, whole process).
# Then bench/ike_mem (in process, no network): heap per IKE SA with two
# CHILD_SAs for 1000 and 10000 SAs against the 4 KiB ceiling.
#
# RESPONDER=daemon (default): the daemon keys every CHILD_SA into one tunnel,
# which holds 8 CHILD_SA pairs, so with CHILD_SAs only CHILD_LEVELS (at most
# 8 in flight) run; LEVELS run childless against both responders alike.
#
# Environment: DURATION (8 s per point), LEVELS ("1 16 64"; childless for
# the daemon), CHILD_LEVELS (daemon: "1 4"), CHILDLESS_LEVEL
# (engine: 64; empty: skip), TABLE_COUNT (2000; 0: skip), MEM_COUNTS ("1000 10000"),
# SUITE (aes256gcm16-prfsha256-x25519; e.g. ...-ecp256), ESP_SUITE
# (aes256gcm16), CHARON_THREADS (16),
# BUILD (an optimised build dir, default _build-release), OUT (JSON,
# /tmp/mip6sec-ike.json), KEEP=1 keeps the work directory.
# shellcheck source=bench/netns.sh
. "$(dirname "$0")/netns.sh"

DURATION=${DURATION:-8}
LEVELS=${LEVELS:-1 16 64}
CHILDLESS_LEVEL=${CHILDLESS_LEVEL-64}
CHILD_LEVELS=${CHILD_LEVELS:-1 4}
MEM_COUNTS=${MEM_COUNTS:-1000 10000}
RESPONDER=${RESPONDER:-daemon}
DAEMON_MEM_COUNT=${DAEMON_MEM_COUNT:-3} # IKE SAs x 2 CHILD_SAs after one more: a tunnel holds 8 pairs
TABLE_COUNT=${TABLE_COUNT:-2000}
CHARON_THREADS=${CHARON_THREADS:-16}
OUT=${OUT:-/tmp/mip6sec-ike.json}
SUITE=${SUITE:-aes256gcm16-prfsha256-x25519} ESP_SUITE=${ESP_SUITE:-aes256gcm16}
R_ID=resp.bench.test L_ID=load.bench.test
R_TS=fd6f:20::/64 L_TS=fd6f:10::/64
C_ADDR=fd6b:e1::1 LC_ADDR=fd6b:e1::2 M_ADDR=fd6b:e2::1 LM_ADDR=fd6b:e2::2
NS_L=m6i$id-l NS_C=m6i$id-c NS_M=m6i$id-m
TCK=$(getconf CLK_TCK)

[ "$(id -u)" = 0 ] || { echo "SKIP: bench/ike.sh needs root (network namespaces)"; exit 77; }
for t in ip charon-systemd swanctl; do
	command -v "$t" >/dev/null || bench_die "$t missing: run bench/deps.sh"
done
WORK=$(mktemp -d /tmp/m6ike.XXXXXX)
ike_cleanup() {
	set +e
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for ns in $NS_L $NS_C $NS_M; do ip netns del "$ns" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then bench_log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap ike_cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${IKE_LOAD:-}" ]; then
	BIN=$(dirname "$IKE_LOAD")
else
	B=$(bench_build "${BUILD:-$BENCH_SRC/_build-release}") || bench_die "build failed"
	make -C "$B" -s mip6sec bench/ike_load bench/ike_resp bench/ike_mem >&2 || bench_die "bench/ike_* build failed"
	BIN=$B/bench
fi
M6=${MIP6SEC:-$BIN/../mip6sec}
PSK=0x$(hexkey 32)

# ---- namespaces ----------------------------------------------------------------
for ns in $NS_L $NS_C $NS_M; do
	ip netns add "$ns" || bench_die "cannot create namespace $ns"
	nsx "$ns" ip link set lo up
	nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
link() { # NS-R DEV-R ADDR-R NS-L DEV-L ADDR-L
	ip -n "$1" link add "$2" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3/64" dev "$2" nodad
	ip -n "$4" addr add "$6/64" dev "$5" nodad
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
	ip -n "$1" addr add fd6f:20::1/128 dev lo nodad
}
link "$NS_C" cv "$C_ADDR" "$NS_L" lc "$LC_ADDR"
link "$NS_M" mv "$M_ADDR" "$NS_L" lm "$LM_ADDR"

# ---- charon ------------------------------------------------------------------------
# Tuned for many SAs from one peer, as a load test should: a hash table that
# is not one bucket (default ikesa_table_size 1), no DoS protection (one
# source address would otherwise be blocked at 5 half-open SAs and asked for
# cookies at 10; ours runs without cookies too), unique = never (one identity),
# quiet logs (ours logs nothing per SA either). threads: CHARON_THREADS.
start_charon() {
	local d=$WORK/charon
	mkdir -p "$d"
	cat >"$d/strongswan.conf" <<EOF
charon-systemd {
	load_modular = no
	load = random nonce openssl kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
	threads = $CHARON_THREADS
	ikesa_table_size = 4096
	ikesa_table_segments = 16
	dos_protection = no
	block_threshold = 1000000
	cookie_threshold = 1000000
	init_limit_half_open = 0
	install_routes = no
	install_virtual_ip = no
	filelog { log { path = $d/charon.log
		time_format = %T
		default = ${CHARON_LOG:--1} } }
	journal { default = -1 }
	syslog { daemon { default = -1 } }
	plugins {
		vici { socket = unix://$d/vici }
	}
}
EOF
	cat >"$d/swanctl.conf" <<EOF
connections { load {
	version = 2
	local_addrs = $C_ADDR
	remote_addrs = $LC_ADDR
	proposals = $SUITE
	unique = never
	local { auth = psk
		id = $R_ID }
	remote { auth = psk
		id = $L_ID }
	children { net {
		local_ts = $R_TS
		remote_ts = $L_TS
		mode = tunnel
		esp_proposals = $ESP_SUITE
	} }
} }
secrets { ike-load {
	id-a = $R_ID
	id-b = $L_ID
	secret = $PSK
} }
EOF
	spawn "$NS_C" "$d/stdout" env STRONGSWAN_CONF="$d/strongswan.conf" charon-systemd
	CHARON_PID=$LAST_PID
	# timeout: a charon short of threads accepts the vici connection and never answers.
	wait_for 10 timeout 2 ip netns exec "$NS_C" swanctl --stats --uri "unix://$d/vici" ||
		bench_die "charon: no answer on vici (with threads = $CHARON_THREADS)"
	timeout 10 ip netns exec "$NS_C" swanctl --load-all --file "$d/swanctl.conf" --uri "unix://$d/vici" \
		>"$d/swanctl.log" 2>&1 ||
		bench_die "swanctl --load-all failed: $(cat "$d/swanctl.log")"
}

# The mip6sec responder.
# RESPONDER=daemon (default): `mip6sec daemon` with an ike section (one
# peer, the load generator's identity) and a tunnel keyed by it, so every
# CHILD_SA goes into the daemon's SAD as in production. All load comes from
# one address, so ike.init-rate-limit = 0 (the production default admits
# 20/s per address) and half-open/cookie bounds out of reach, as charon's
# are below. RESPONDER=engine: bench/ike_resp, the engine behind the same
# gate, CHILD_SAs into a SAD. The daemon's heap step (below) runs always.
m6ctl() { nsx "$NS_M" "$M6" "$@" -s "$WORK/m6/control.sock"; }
heap_bytes() { # the daemon's heap in use (status JSON), empty for ike_resp
	[ "$RESPONDER" = daemon ] || [ "${1:-}" = daemon ] || return 0
	m6ctl status --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["heap_bytes"])'
}
start_mip6sec_responder() {
	if [ "$RESPONDER" = engine ]; then
		spawn "$NS_M" "$WORK/ike_resp.log" "$BIN/ike_resp" --local "$M_ADDR" --psk "$PSK" --local-id "$R_ID" \
			--remote-id "$L_ID" --ike "$SUITE" --esp "$ESP_SUITE" --local-ts "$R_TS" --remote-ts "$L_TS"
		MIP6SEC_PID=$LAST_PID
		wait_for 5 grep -q '^ike_resp ready' "$WORK/ike_resp.log" || bench_die "ike_resp: $(cat "$WORK/ike_resp.log")"
		return
	fi
	start_daemon
}
start_daemon() {
	mkdir -p "$WORK/m6"
	cat >"$WORK/m6/m6.conf" <<EOF
global = {
	log-level = "warn";
	control-socket = "$WORK/m6/control.sock";
	state-dir = "$WORK/m6/state";
};
ike = {
	identity = "$R_ID";
	auth = "psk";
	proposals = [ "${SUITE//x25519/curve25519}" ]; # the daemon names group 31 curve25519 only
	esp-proposals = [ "$ESP_SUITE" ];
	init-rate-limit = 0; # one load address: measure setups, not the limiter
	half-open-limit = 1000000; cookie-threshold = 1000000;
	peers = (
		{ name = "load"; identity = "$L_ID"; address = "$LM_ADDR"; auth = "psk";
		  psk = "${PSK#0x}"; initiate = false; }
	);
};
tunnels = (
	{ name = "m6load"; local = "$M_ADDR"; remote = "$LM_ADDR";
	  local-prefixes = [ "$R_TS" ]; remote-prefixes = [ "$L_TS" ];
	  ike-peer = "load"; }
);
EOF
	"$M6" check-config "$WORK/m6/m6.conf" >/dev/null 2>"$WORK/m6/check.err" ||
		bench_die "mip6sec config invalid: $(cat "$WORK/m6/check.err")"
	spawn "$NS_M" "$WORK/m6/daemon.log" "$M6" daemon -f -c "$WORK/m6/m6.conf"
	wait_for 10 m6ctl status || bench_die "mip6sec daemon: $(cat "$WORK/m6/daemon.log")"
	MIP6SEC_PID=$(m6ctl status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" "$1" | head -n1; } # FILE KEY

# point NAME PEER-PID LOCAL REMOTE CONCURRENCY [ike_load args]: one
# measurement; appends a row to $WORK/rows.
point() {
	local name=$1 pid=$2 local=$3 remote=$4 conc=$5 out t0 t1
	shift 5
	out=$WORK/$name-c$conc$*.out
	out=${out// /}
	t0=$(cpu_ticks "$pid")
	nsx "$NS_L" "$BIN/ike_load" --local "$local" --remote "$remote" --psk "$PSK" --local-id "$L_ID" \
		--remote-id "$R_ID" --ike "$SUITE" --esp "$ESP_SUITE" --local-ts "$L_TS" --remote-ts "$R_TS" \
		--concurrency "$conc" --seconds "$DURATION" --delete "$@" >"$out" 2>"$out.err"
	t1=$(cpu_ticks "$pid")
	local setups rate
	setups=$(field "$out" setups)
	rate=$(field "$out" rate)
	[ -n "$setups" ] || { bench_log "$name c=$conc: no result: $(cat "$out.err")"; setups=0 rate=0; }
	local resp_us
	resp_us=$(awk -v d=$((t1 - t0)) -v t="$TCK" -v n="$setups" 'BEGIN { printf "%.0f", (n > 0 ? d * 1e6 / t / n : 0) }')
	echo "$name $conc $(field "$out" child) $setups $rate $(field "$out" p50_ms) $(field "$out" p99_ms) $(field "$out" failed) $(field "$out" retransmits) $resp_us $(field "$out" cpu_us_per_setup)" >>"$WORK/rows"
	bench_log "$name c=$conc $(head -n1 "$out") responder_cpu_us_per_setup=$resp_us"
	grep -h 'failure reason' "$out" >&2 || true
}

start_charon
start_mip6sec_responder
: >"$WORK/rows"
if [ "$RESPONDER" = daemon ]; then
	# A tunnel holds 8 CHILD_SA pairs: with CHILD_SAs at most CHILD_LEVELS
	# in flight; the concurrency levels childless, the same for charon.
	for c in $CHILD_LEVELS; do
		point charon "$CHARON_PID" "$LC_ADDR" "$C_ADDR" "$c"
		point mip6sec "$MIP6SEC_PID" "$LM_ADDR" "$M_ADDR" "$c"
	done
	for c in $LEVELS; do
		point charon "$CHARON_PID" "$LC_ADDR" "$C_ADDR" "$c" --childless
		point mip6sec "$MIP6SEC_PID" "$LM_ADDR" "$M_ADDR" "$c" --childless
	done
else
	for c in $LEVELS; do
		point charon "$CHARON_PID" "$LC_ADDR" "$C_ADDR" "$c"
		point mip6sec "$MIP6SEC_PID" "$LM_ADDR" "$M_ADDR" "$c"
	done
fi
if [ "$RESPONDER" = engine ] && [ -n "$CHILDLESS_LEVEL" ]; then
	point charon "$CHARON_PID" "$LC_ADDR" "$C_ADDR" "$CHILDLESS_LEVEL" --childless
	point mip6sec "$MIP6SEC_PID" "$LM_ADDR" "$M_ADDR" "$CHILDLESS_LEVEL" --childless
fi
charon_sas=$(timeout 10 ip netns exec "$NS_C" swanctl --list-sas --uri "unix://$WORK/charon/vici" 2>/dev/null |
	grep -c ESTABLISHED)

# table NAME PID LOCAL REMOTE: RSS growth per IKE SA kept (with its CHILD_SA).
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
table() {
	local r0 r1 out=$WORK/table-$1.out n
	r0=$(rss_kb "$2")
	local h0 h1=
	h0=$(heap_bytes)
	nsx "$NS_L" "$BIN/ike_load" --local "$3" --remote "$4" --psk "$PSK" --local-id "$L_ID" --remote-id "$R_ID" \
		--ike "$SUITE" --esp "$ESP_SUITE" --local-ts "$L_TS" --remote-ts "$R_TS" --concurrency 64 \
		--count "$TABLE_COUNT" $TABLE_ARGS >"$out" 2>"$out.err"
	sleep 1
	r1=$(rss_kb "$2")
	[ "$1" = mip6sec ] && h1=$(heap_bytes)
	n=$(field "$out" setups)
	echo "$1 ${n:-0} $r0 $r1 $(awk -v a="$r0" -v b="$r1" -v n="${n:-0}" 'BEGIN { printf "%.0f", (n > 0 ? (b - a) * 1024 / n : 0) }')" >>"$WORK/table-rss"
	if [ -n "$h1" ] && [ -n "$h0" ]; then
		echo "${n:-0} $h0 $h1 $(awk -v a="$h0" -v b="$h1" -v n="${n:-0}" 'BEGIN { printf "%.0f", (n > 0 ? (b - a) / n : 0) }')" >"$WORK/table-heap"
	fi
	bench_log "table $1: $(head -n1 "$out") rss_kb $r0 -> $r1"
}
: >"$WORK/table-rss"
TABLE_ARGS= # the daemon's tunnel holds 8 CHILD_SA pairs: its table is IKE SAs alone, charon's too
[ "$RESPONDER" = daemon ] && TABLE_ARGS=--childless
if [ "$TABLE_COUNT" -gt 0 ]; then
	table charon "$CHARON_PID" "$LC_ADDR" "$C_ADDR"
	table mip6sec "$MIP6SEC_PID" "$LM_ADDR" "$M_ADDR"
fi
[ "$RESPONDER" = daemon ] && m6ctl status --json >"$WORK/m6/status.json" 2>/dev/null
stop_pids "$MIP6SEC_PID" "$CHARON_PID"

# The daemon's heap per IKE SA with 2 CHILD_SAs: heap_bytes of `mip6sec
# status` before and after DAEMON_MEM_COUNT setups (the second CHILD_SA by
# CREATE_CHILD_SA), paced under the daemon's per-address rate limit. One
# such setup first, unmeasured: the tunnel's first CHILD_SA allocates what
# every later one shares.
: >"$WORK/daemon-heap"
if [ "$DAEMON_MEM_COUNT" -gt 0 ]; then
	rm -rf "$WORK/m6"
	start_daemon
	daemon_load() { # COUNT OUT
		nsx "$NS_L" "$BIN/ike_load" --local "$LM_ADDR" --remote "$M_ADDR" --psk "$PSK" --local-id "$L_ID" \
			--remote-id "$R_ID" --ike "$SUITE" --esp "$ESP_SUITE" --local-ts "$L_TS" --remote-ts "$R_TS" \
			--concurrency 1 --count "$1" --children 2 >"$2" 2>"$2.err"
	}
	daemon_load 1 "$WORK/daemon-warm.out"
	sleep 1
	dh0=$(heap_bytes daemon)
	daemon_load "$DAEMON_MEM_COUNT" "$WORK/daemon-mem.out"
	sleep 1
	dh1=$(heap_bytes daemon)
	dn=$(field "$WORK/daemon-mem.out" setups)
	dchild=$(m6ctl status --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ike"]["children_installed"])')
	echo "${dn:-0} ${dchild:-0} $dh0 $dh1 $(awk -v a="$dh0" -v b="$dh1" -v n="${dn:-0}" 'BEGIN { printf "%.0f", (n > 0 ? (b - a) / n : 0) }')" \
		>"$WORK/daemon-heap"
	bench_log "daemon heap: $(head -n1 "$WORK/daemon-mem.out") heap_bytes $dh0 -> $dh1"
	stop_pids "$(m6ctl status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')"
fi
if [ "$RESPONDER" = engine ]; then
	resp_final=$(tail -n1 "$WORK/ike_resp.log")
else
	resp_final="daemon log: $(grep -c . "$WORK/m6/daemon.log") lines"
fi

: >"$WORK/mem"
for n in $MEM_COUNTS; do
	"$BIN/ike_mem" --count "$n" --layout >"$WORK/mem-$n" 2>&1 || bench_log "ike_mem --count $n failed: $(cat "$WORK/mem-$n")"
	grep "^ike_mem n=" "$WORK/mem-$n" >>"$WORK/mem"
done

# ---- report ------------------------------------------------------------------------
printf '\nIKE_SA setups per second: bench/ike_load (our initiator) -> responder, %s s per point, %s, ESP %s, PSK, Delete after each setup\n' \
	"$DURATION" "$SUITE" "$ESP_SUITE"
printf 'machine: %s, %s CPUs, load average %s; %s; charon threads=%s\n\n' "$(uname -r)" "$(nproc)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "strongSwan $(dpkg-query -W -f '${Version}' charon-systemd 2>/dev/null || echo '?')" "$CHARON_THREADS"
awk '
{ k = $2 "/" $3; if (!(k in seen)) { seen[k] = 1; ks[++n] = k }; for (i = 1; i <= NF; i++) v[$1, k, i] = $i }
END {
	print "| concurrency | CHILD_SA | charon setups/s | mip6sec setups/s | mip6sec / charon | p50 / p99 ms charon | p50 / p99 ms mip6sec | responder CPU µs/setup charon | mip6sec | charon / mip6sec CPU | initiator CPU µs/setup (vs charon, vs mip6sec) | failed (charon, mip6sec) |"
	print "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	for (j = 1; j <= n; j++) {
		k = ks[j]
		cr = v["charon", k, 5]; mr = v["mip6sec", k, 5]
		cc = v["charon", k, 10]; mc = v["mip6sec", k, 10]
		printf "| %s | %s | %s | %s | **%s** | %s / %s | %s / %s | %s | %s | %s | %s, %s | %s, %s |\n",
			v["mip6sec", k, 2], (v["mip6sec", k, 3] ? "yes" : "no (childless)"), cr, mr,
			(cr > 0 ? sprintf("%.2f", mr / cr) : "n/a"),
			v["charon", k, 6], v["charon", k, 7], v["mip6sec", k, 6], v["mip6sec", k, 7], cc, mc,
			(mc > 0 ? sprintf("%.2f", cc / mc) : "n/a"), v["charon", k, 11], v["mip6sec", k, 11],
			v["charon", k, 8], v["mip6sec", k, 8]
	}
}' "$WORK/rows" | tee "$WORK/table"
best() { awk -v w="$1" -v c="${2:-1}" '$1 == w && $3 == c && $5 > b { b = $5 } END { print b + 0 }' "$WORK/rows"; }
cb=$(best charon) mb=$(best mip6sec)
ratio=$(awk -v a="$mb" -v b="$cb" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
met=$(awk -v r="$ratio" 'BEGIN { print (r >= 1.5 ? "met" : "not met") }')
printf '\nheadline, wall clock (with CHILD_SA, best level of each): mip6sec %s/s, charon %s/s: mip6sec / charon = %s (target >= 1.5: %s)\n' \
	"$mb" "$cb" "$ratio" "$met"
# Per responder CPU-second: the lowest ratio over the levels with a CHILD_SA.
cpu_ratio=$(awk '$3 == 1 { c[$2, $1] = $10; l[$2] = 1 }
	END { m = 0; for (k in l) if (c[k, "mip6sec"] > 0 && c[k, "charon"] > 0) { r = c[k, "charon"] / c[k, "mip6sec"]; if (m == 0 || r < m) m = r }; printf "%.2f", m }' "$WORK/rows")
cpu_met=$(awk -v r="$cpu_ratio" 'BEGIN { print (r >= 1.5 ? "met" : "not met") }')
clb=$(best charon 0) mlb=$(best mip6sec 0)
[ "$clb" != 0 ] && printf 'headline, wall clock (childless, best level of each): mip6sec %s/s, charon %s/s: mip6sec / charon = %s\n' \
	"$mlb" "$clb" "$(awk -v a="$mlb" -v b="$clb" 'BEGIN { printf "%.2f", a / b }')"
printf 'headline, per responder CPU-second (with CHILD_SA, lowest over the levels): mip6sec / charon = %s (target >= 1.5: %s)\n' \
	"$cpu_ratio" "$cpu_met"
printf 'charon SAs left ESTABLISHED after the run: %s (Delete ran after every setup)\n' "$charon_sas"
printf 'mip6sec responder (%s) at exit: %s\n' "$RESPONDER" "$resp_final"
if [ -s "$WORK/table-rss" ]; then
	printf '\nRSS growth per IKE SA kept (%s setups %s, no Delete, concurrency 64):\n' "$TABLE_COUNT" \
		"$([ -n "$TABLE_ARGS" ] && echo childless || echo 'with CHILD_SA')"
	awk '{ printf "  %-8s %s SAs: VmRSS %s -> %s KiB, %s bytes per IKE SA\n", $1, $2, $3, $4, $5 }' "$WORK/table-rss"
fi
if [ -s "$WORK/daemon-heap" ]; then
	awk '{ printf "\nDaemon heap per IKE SA with 2 CHILD_SAs (mip6sec status heap_bytes, %s SAs after one, %s CHILD_SAs installed in all): %s -> %s, %s bytes per IKE SA (ceiling 4096)\n", $1, $2, $3, $4, $5 }' \
		"$WORK/daemon-heap"
fi
if [ -s "$WORK/table-heap" ]; then
	awk -v w="$([ -n "$TABLE_ARGS" ] && echo 'childless' || echo 'with one CHILD_SA each')" \
		'{ printf "  daemon heap_bytes (mip6sec status): %s SAs %s: %s -> %s, %s bytes per IKE SA\n", $1, w, $2, $3, $4 }' \
		"$WORK/table-heap"
fi
echo
printf 'Heap per IKE SA with 2 CHILD_SAs (bench/ike_mem, responder side, ceiling 4096 B):\n'
cat "$WORK/mem"
last=$(echo $MEM_COUNTS | awk '{ print $NF }')
[ -f "$WORK/mem-$last" ] && grep -v '^ike_mem n=' "$WORK/mem-$last"

/usr/bin/python3 - "$WORK/rows" "$WORK/mem" "$OUT" "$ratio" "$DURATION" "$CHARON_THREADS" "$cpu_ratio" "$WORK/table-rss" \
	"$WORK/daemon-heap" "$RESPONDER" <<'EOF' || bench_log "JSON not written"
import json, os, sys
rows, mem, out, ratio, dur, threads, cpu_ratio, table, dheap, responder = sys.argv[1:]
keys = ["responder", "concurrency", "child", "setups", "rate", "p50_ms", "p99_ms", "failed", "retransmits",
        "responder_cpu_us_per_setup", "initiator_cpu_us_per_setup"]
def num(x):
    try:
        return float(x) if "." in x else int(x)
    except ValueError:
        return x
res = [dict(zip(keys, map(num, l.split()))) for l in open(rows) if l.strip()]
mems = [{k: num(v) for k, v in (kv.split("=", 1) for kv in l.split()[1:])} for l in open(mem)
        if l.startswith("ike_mem n=")]
rss = [dict(zip(["responder", "sas", "rss_kb_before", "rss_kb_after", "bytes_per_sa"], map(num, l.split())))
       for l in open(table) if l.strip()]
dh = [dict(zip(["sas", "children_installed", "heap_before", "heap_after", "bytes_per_sa"], map(num, l.split())))
      for l in open(dheap) if l.strip()]
json.dump({"points": res, "mem": mems, "table_rss": rss, "daemon_heap": dh, "responder": responder,
           "headline_ratio": float(ratio),
           "headline_cpu_ratio": float(cpu_ratio), "target_ratio": 1.5, "target_met": float(ratio) >= 1.5,
           "target_met_cpu": float(cpu_ratio) >= 1.5, "duration_s": int(dur), "charon_threads": int(threads),
           "machine": {"cpus": os.cpu_count(), "loadavg": open("/proc/loadavg").read().split()[:3],
                       "kernel": os.uname().release}}, open(out, "w"), indent=1)
EOF
bench_log "JSON: $OUT"
