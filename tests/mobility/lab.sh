# shellcheck shell=bash
# shellcheck disable=SC2086,SC2034 # word lists split on purpose; variables set for the callers
# tests/mobility/lab.sh: the Mobile IPv6 network-namespace lab (sourced by
# bash, not run): the end-to-end tests in tests/mobility/, the demo
# (tests/demo/run-demo.sh) and bench/handover.sh share it. docs/MOBILITY-LAB.md
# has the drawing; in short:
#
#   H fd6d:1::10 --+                                       +-- r-a  fd6d:a::fe ==== mn-a  fd6d:a::100 --+
#   HA fd6d:1::1 --+-- br0 (R) fd6d:1::fe   R forwards    -+-- r-b  fd6d:b::fe ==== mn-b  fd6d:b::100 --+-- MN
#   (home0)        +-- r-mn ------------------------------------------------------- mn-home fd6d:1::100 -+
#                                                          +-- r-c  fd6d:c::fe ==== CN eth0 fd6d:c::5
#
# Every namespace name carries this run's id; the addresses exist only
# inside them. The exit trap kills what the lab started (by pid) and deletes
# the namespaces and the temporary directory (KEEP=1 keeps the directory).
#
# Moving the mobile node (lab_attach / lab_detach) stands in for a radio:
# attach brings R's end of the link up and gives the MN its address and a
# default route (SLAAC or DHCP in real life); detach takes R's end down (the
# MN sees carrier loss) and removes the default route.
#
# Callers: source, optionally set LAB_PAYLOAD=esp or LAB_KEYING=ike (the
# *-ike.conf templates: MN-HA SAs from IKEv2 authenticated by certificates
# of a PKI made per run, lab_pki; with LAB_IKE_AUTH=psk the *-ike-psk.conf
# ones, a pre-shared key), call lab_init, lab_up,
# then lab_conf / lab_start for "ha" and "mn".
set -u

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_PY=/usr/bin/python3 # Debian's python3 has scapy
LAB_ID=$(printf '%x%04x' $$ $((RANDOM % 65536)))
NS_R=m6l$LAB_ID-r NS_HA=m6l$LAB_ID-ha NS_H=m6l$LAB_ID-h NS_MN=m6l$LAB_ID-mn NS_CN=m6l$LAB_ID-cn
LAB_NS="$NS_R $NS_HA $NS_H $NS_MN $NS_CN"

HOA=fd6d:1::100 HA_ADDR=fd6d:1::1 H_ADDR=fd6d:1::10 CN_ADDR=fd6d:c::5
COA_A=fd6d:a::100 COA_B=fd6d:b::100
R_HOME=fd6d:1::fe R_A=fd6d:a::fe R_B=fd6d:b::fe R_C=fd6d:c::fe
HA_IF=home0
LAB_PIDS=""  # everything started in the background, killed by pid at exit
LAB_TMP=""

lab_log() { printf '%s %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
lab_skip() { echo "SKIP: $*"; exit 77; }

# lab_fail MSG: print why, the tail of each daemon's log, the lab's state.
lab_fail() {
	echo "FAIL: $*"
	local r
	for r in ha mn; do
		[ -f "$LAB_TMP/$r/daemon.log" ] || continue
		echo "--- $r daemon log (last 60 lines)"
		tail -60 "$LAB_TMP/$r/daemon.log" | sed "s/^/  $r: /"
	done
	if [ -n "$LAB_TMP" ] && ip netns list | grep -q "^$NS_HA "; then
		echo "--- HA bindings / proxy / routes"
		lab_ctl ha bindings 2>&1 | sed 's/^/  /'
		ip -n "$NS_HA" -6 neigh show proxy 2>&1 | sed 's/^/  proxy: /'
		ip -n "$NS_HA" -6 route show 2>&1 | sed 's/^/  route: /'
		echo "--- MN status / addresses / rules"
		lab_ctl mn status 2>&1 | sed 's/^/  /'
		ip -n "$NS_MN" -6 -br addr 2>&1 | sed 's/^/  addr: /'
		ip -n "$NS_MN" -6 rule 2>&1 | sed 's/^/  rule: /'
		ip -n "$NS_MN" -6 route show table all 2>/dev/null | grep -v '^local\|^multicast\|^anycast' | sed 's/^/  route: /'
	fi
	exit 1
}

lab_require() {
	[ "$(id -u)" = 0 ] || lab_skip "not root"
	local t
	for t in ip openssl; do command -v $t >/dev/null 2>&1 || lab_skip "no $t"; done
	[ -x "$LAB_PY" ] || lab_skip "no $LAB_PY"
	[ -c /dev/net/tun ] || lab_skip "no /dev/net/tun"
	: "${MIP6SEC:?MIP6SEC must name the built mip6sec binary}"
	[ -x "$MIP6SEC" ] || lab_skip "$MIP6SEC is not built"
}

lab_need() { # tools the caller needs beyond the lab's
	local t
	for t in "$@"; do command -v $t >/dev/null 2>&1 || lab_skip "no $t"; done
}

lab_cleanup() {
	set +e
	local p n
	for p in $LAB_PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $LAB_PIDS; do
		for n in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	for n in $LAB_NS; do ip netns del "$n" 2>/dev/null; done
	if [ -n "$LAB_TMP" ]; then
		if [ "${KEEP:-0}" = 1 ]; then echo "lab: kept $LAB_TMP"; else rm -rf "$LAB_TMP"; fi
	fi
}

lab_init() {
	lab_require
	LAB_TMP=$(mktemp -d /tmp/m6lab.XXXXXX)
	mkdir -p "$LAB_TMP/ha" "$LAB_TMP/mn"
	trap lab_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# lab_bg NS LOG CMD...: start CMD in NS in the background, remember its pid
# (in LAB_BG_PID and the cleanup list).
lab_bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	LAB_BG_PID=$!
	LAB_PIDS="$LAB_PIDS $LAB_BG_PID"
}

lab_sysctl() { in_ns "$1" sysctl -qw "$2" >/dev/null || lab_fail "sysctl $2 in $1"; }

lab_up() {
	local n
	for n in $LAB_NS; do
		ip netns add "$n" || lab_skip "cannot create network namespace $n"
		ip -n "$n" link set lo up
		# No DAD delays: this lab tests Mobile IPv6, not DAD (the HA's
		# own DAD for a home address is a daemon feature and not affected).
		lab_sysctl "$n" net.ipv6.conf.all.accept_dad=0
		lab_sysctl "$n" net.ipv6.conf.default.accept_dad=0
		lab_sysctl "$n" net.ipv6.conf.default.accept_ra=0
		lab_sysctl "$n" net.ipv6.conf.default.autoconf=0
	done
	lab_sysctl "$NS_R" net.ipv6.conf.all.forwarding=1
	lab_sysctl "$NS_HA" net.ipv6.conf.all.forwarding=1
	lab_sysctl "$NS_MN" net.ipv6.conf.all.forwarding=0
	lab_sysctl "$NS_MN" net.ipv6.conf.all.accept_ra=0
	# R's access-link ends go down on every move: keep their addresses.
	lab_sysctl "$NS_R" net.ipv6.conf.all.keep_addr_on_down=1
	lab_sysctl "$NS_R" net.ipv6.conf.default.keep_addr_on_down=1

	# The home link: a bridge in R. Multicast snooping off: the MN's old
	# solicited-node group membership must not keep R from flooding the
	# Neighbor Solicitations for the home address to the HA (proxy ND).
	ip -n "$NS_R" link add br0 type bridge mcast_snooping 0 || lab_fail "bridge"
	ip link add r-ha netns "$NS_R" type veth peer name $HA_IF netns "$NS_HA" || lab_fail "veth ha"
	ip link add r-h netns "$NS_R" type veth peer name eth0 netns "$NS_H" || lab_fail "veth h"
	ip link add r-mn netns "$NS_R" type veth peer name mn-home netns "$NS_MN" || lab_fail "veth mn-home"
	ip link add r-a netns "$NS_R" type veth peer name mn-a netns "$NS_MN" || lab_fail "veth a"
	ip link add r-b netns "$NS_R" type veth peer name mn-b netns "$NS_MN" || lab_fail "veth b"
	ip link add r-c netns "$NS_R" type veth peer name eth0 netns "$NS_CN" || lab_fail "veth cn"
	for n in r-ha r-h r-mn; do ip -n "$NS_R" link set $n master br0; done
	ip -n "$NS_R" addr add $R_HOME/64 dev br0 nodad
	ip -n "$NS_R" addr add $R_A/64 dev r-a nodad
	ip -n "$NS_R" addr add $R_B/64 dev r-b nodad
	ip -n "$NS_R" addr add $R_C/64 dev r-c nodad
	ip -n "$NS_HA" addr add $HA_ADDR/64 dev $HA_IF nodad
	ip -n "$NS_H" addr add $H_ADDR/64 dev eth0 nodad
	ip -n "$NS_CN" addr add $CN_ADDR/64 dev eth0 nodad
	# The MN's links stay detached (R's end down) until lab_attach.
	for n in br0 r-ha r-h r-c; do ip -n "$NS_R" link set $n up; done
	ip -n "$NS_HA" link set $HA_IF up
	ip -n "$NS_H" link set eth0 up
	ip -n "$NS_CN" link set eth0 up
	for n in mn-home mn-a mn-b; do ip -n "$NS_MN" link set $n up; done
	ip -n "$NS_HA" route add default via $R_HOME
	ip -n "$NS_H" route add default via $R_HOME
	ip -n "$NS_CN" route add default via $R_C
	mkfifo "$LAB_TMP/nap" && exec {LAB_NAP_FD}<>"$LAB_TMP/nap"
	lab_ipd_start R "$NS_R"
	lab_ipd_start MN "$NS_MN"
}

# lab_link LINK: R's end, the MN's interface, the MN's address, R's address.
lab_link() {
	case $1 in
	a) echo "r-a mn-a $COA_A $R_A" ;;
	b) echo "r-b mn-b $COA_B $R_B" ;;
	home) echo "r-mn mn-home $HOA $R_HOME" ;;
	*) lab_fail "no link $1" ;;
	esac
}

lab_attach() { # LINK: a, b or home
	local l
	l=$(lab_link "$1") || exit 1
	set -- $l
	ip -n "$NS_R" link set "$1" up || lab_fail "R: $1 up"
	ip -n "$NS_MN" link set "$2" up
	local i=0
	until ip -n "$NS_MN" link show dev "$2" | grep -q "state UP" && ip -n "$NS_R" link show dev "$1" | grep -q "state UP" &&
		ip -n "$NS_R" addr show dev "${1/#r-mn/br0}" | grep "inet6 $4/64 scope global" | grep -vq tentative; do
		i=$((i + 1))
		[ $i -lt 200 ] || lab_fail "MN: $2 not operationally up 2 s after R's end came up"
		sleep 0.01
	done
	ip -n "$NS_MN" addr replace "$3/64" dev "$2" nodad || lab_fail "MN: address $3 on $2"
	ip -n "$NS_MN" -6 route replace default via "$4" dev "$2" || lab_fail "MN: default via $4"
}

lab_detach() { # LINK
	local l
	l=$(lab_link "$1") || exit 1
	set -- $l
	ip -n "$NS_R" link set "$1" down || lab_fail "R: $1 down"
	ip -n "$NS_MN" -6 route del default via "$4" dev "$2" 2>/dev/null
	# At home the home address is the interface's; away it lives on the
	# daemon's TUN, so it leaves mn-home with the link.
	[ "$2" = mn-home ] && ip -n "$NS_MN" addr del "$3/64" dev mn-home 2>/dev/null
}

# lab_ipd_start KEY NS: a long-running `ip -batch` in NS reading commands
# from a FIFO, so that a move costs no process start (on a loaded machine
# each ip(8) run takes tens of milliseconds, which would be measured as
# handover time). lab_ipd KEY CMDS runs CMDS (lines) and returns when ip
# has done them (it answers a trailing `addr show dev lo`); their output is
# in LAB_IPD_REPLY.
lab_ipd_start() {
	local key=$1 ns=$2 fd
	mkfifo "$LAB_TMP/ipd-$key.in" "$LAB_TMP/ipd-$key.out" || lab_fail "mkfifo"
	ip netns exec "$ns" stdbuf -oL ip -force -batch "$LAB_TMP/ipd-$key.in" \
		>"$LAB_TMP/ipd-$key.out" 2>>"$LAB_TMP/ipd-$key.err" &
	LAB_PIDS="$LAB_PIDS $!"
	exec {fd}<"$LAB_TMP/ipd-$key.out"
	eval "LAB_IPD_OUT_$key=$fd"
	exec {fd}>"$LAB_TMP/ipd-$key.in"
	eval "LAB_IPD_IN_$key=$fd"
}

# lab_nap SECONDS: sleep without starting a process (read times out on a
# FIFO nobody writes to).
lab_nap() { read -r -t "$1" -u "$LAB_NAP_FD" _ || :; }

lab_ipd() {
	local key=$1 in out line
	eval "in=\$LAB_IPD_IN_$key out=\$LAB_IPD_OUT_$key"
	# The trailer is an `addr show`: in batch mode a `link show` stops
	# later `addr show` commands from printing addresses (iproute2 6.1).
	printf '%s\naddr show dev lo\n' "$2" >&"$in" || lab_fail "ip batch $key"
	LAB_IPD_REPLY=""
	while read -r -t 10 -u "$out" line; do
		case $line in
		*"inet6 ::1/128"*)
			read -r -t 10 -u "$out" line # its lifetimes line
			return 0
			;;
		esac
		LAB_IPD_REPLY="$LAB_IPD_REPLY$line
"
	done
	lab_fail "ip batch $key did not answer: $(cat "$LAB_TMP/ipd-$key.err")"
}

# lab_addr_ready PREFIX: LAB_IPD_REPLY (an `addr show`) lists an address
# starting with PREFIX that is not tentative.
lab_addr_ready() {
	local line
	while read -r line; do
		case $line in "inet6 $1"*) [[ $line != *tentative* ]] && return 0 ;; esac
	done <<<"$LAB_IPD_REPLY"
	return 1
}

# LAB_MOVE_T0 / LAB_MOVE_T1 (epoch seconds, the capture's clock): when the
# move started and when the MN had its new address and default route.
# lab_move FROM TO: break before make, as a radio handover does: the steps
# of lab_detach FROM and lab_attach TO through the lab's ip batches. R's
# end of the old link goes down and the new one up in one step; once the
# MN's kernel has the new link operationally up (as SLAAC or DHCP would
# only answer then), the MN gets its address and default route on it.
lab_move() {
	local old new
	old=$(lab_link "$1") && new=$(lab_link "$2") || exit 1
	set -- $old $new
	LAB_MOVE_T0=$EPOCHREALTIME
	lab_ipd R "link set $1 down
link set $5 up"
	local i=0
	lab_ipd MN "link set $6 up"
	# Both ends: until the kernel has activated a veth end (linkwatch,
	# asynchronous) it drops what is sent on it, e.g. R's first Neighbor
	# Advertisement, which costs a 1 s ND retransmission.
	# And R's addresses on the link: its link-local address is made anew
	# when the link comes up (keep_addr_on_down keeps only the global one)
	# and is tentative for a few milliseconds (the skipped DAD runs from a
	# work queue; R's MLD reports come from :: meanwhile). A Neighbor
	# Solicitation arriving in that window went unanswered (seen in 1 of
	# ~40 moves), which costs the MN a 1 s ND retransmission.
	until lab_ipd MN "addr show dev $6" && [[ $LAB_IPD_REPLY == *"state UP"* ]] &&
		lab_ipd R "addr show dev $5" && [[ $LAB_IPD_REPLY == *"state UP"* ]] &&
		lab_ipd R "addr show dev ${5/#r-mn/br0}" && lab_addr_ready "$8/" && lab_addr_ready fe80::; do
		i=$((i + 1))
		[ $i -lt 400 ] || lab_fail "$5/$6 not operationally up 2 s after R's end came up"
		lab_nap 0.005
	done
	local home_del=""
	[ "$2" = mn-home ] && home_del="addr del $3/64 dev mn-home"
	lab_ipd MN "route del default via $4 dev $2
$home_del
link set $6 up
addr replace $7/64 dev $6 nodad
route replace default via $8 dev $6"
	LAB_MOVE_T1=$EPOCHREALTIME # the MN has its new address and router
	# ip keeps going after an error (-force) and says so on stderr.
	[ ! -s "$LAB_TMP/ipd-R.err" ] && [ ! -s "$LAB_TMP/ipd-MN.err" ] ||
		lab_fail "move $1 -> $5: $(cat "$LAB_TMP/ipd-R.err" "$LAB_TMP/ipd-MN.err")"
}

lab_ns() { [ "$1" = ha ] && echo "$NS_HA" || echo "$NS_MN"; }

# lab_pki: this run's throw-away PKI in $LAB_TMP/pki (made once, removed
# with $LAB_TMP; no key is committed), by tests/interop/ike-daemon-pki.sh: a
# lab CA (ca.crt) and an end entity per identity of the *-ike.conf
# templates, WHO.{chain,key} with subjectAltName dNSName WHO. The templates
# name $LAB_TMP/ROLE/pki/..., a link to it. P-256 keys: quick to make.
LAB_PKI_IDS="ha.lab mn1.lab mn2.lab"
lab_pki() {
	local d=$LAB_TMP/pki who
	[ -f "$d/done" ] && return 0
	lab_need openssl
	. "$LAB_SRC/tests/interop/ike-daemon-pki.sh"
	pki_chain "$d" lab "${LAB_PKI_ALG:-p256}" 0 || lab_fail "lab PKI: CA not made"
	cp "$d/lab-root.crt" "$d/ca.crt"
	# Renamed, not linked: the daemon opens key files with O_NOFOLLOW.
	for who in $LAB_PKI_IDS; do
		pki_leaf "$d" lab "$who" "${LAB_PKI_ALG:-p256}" "$who" "DNS:$who" || lab_fail "lab PKI: $who not made"
		mv "$d/lab-$who.chain" "$d/$who.chain" && mv "$d/lab-$who.key" "$d/$who.key"
	done
	: >"$d/done"
}

# lab_pki_as WHO: lab_conf options making the mobile node present WHO's
# identity and certificate (another valid end entity of the lab CA; with
# LAB_IKE_AUTH=psk the identity only).
lab_pki_as() {
	[ "${LAB_IKE_AUTH:-pubkey}" = psk ] && { echo "--set=ike.identity=\"$1\""; return; }
	echo "--set=ike.identity=\"$1\" --set=ike.certificate=\"$LAB_TMP/mn/pki/$1.chain\" --set=ike.private-key=\"$LAB_TMP/mn/pki/$1.key\""
}

# lab_ike_auth ROLE PEER: "OURS PEERS", the AUTH methods (RFC 7296 3.8)
# of ROLE's latest IKE SA up with the peer entry PEER, from the ike_up
# lines of its log; empty when none came up.
lab_ike_auth() {
	awk -v peer="$2" '
		$0 ~ "IKE SA [0-9a-f]+_i [0-9a-f]+_r with " peer " \\[" { for (i = 1; i < NF; i++) if ($i == "SA") spi = $(i + 1) }
		spi != "" && index($0, "IKE SA " spi ": AUTH method ours ") {
			sub(/.*AUTH method ours /, ""); sub(/ peer.s /, " "); sub(/;.*/, ""); got = $0; spi = ""
		}
		END { print got }' "$LAB_TMP/$1/daemon.log"
}

# lab_ike_auth_is ROLE PEER psk|cert: both AUTH methods of that IKE SA are
# the shared key (2) or signatures (1 RSA, 9/10/11 ECDSA, 14 RFC 7427).
lab_ike_auth_is() {
	local m ours theirs
	m=$(lab_ike_auth "$1" "$2")
	read -r ours theirs <<<"$m"
	for m in "$ours" "$theirs"; do
		case $3:$m in
		psk:2 | cert:1 | cert:9 | cert:10 | cert:11 | cert:14) ;;
		*) return 1 ;;
		esac
	done
}

# lab_conf ROLE [lab_conf.py options...]: ROLE's configuration from
# etc/examples/lab/ with this run's keys, paths and the given changes.
lab_conf() {
	local r=$1 tpl
	shift
	[ "$r" = ha ] && tpl=home-agent || tpl=mobile-node
	# LAB_KEYING=ike: the MN-HA SAs come from IKEv2 (RFC 4877), not manual
	# keys; authenticated by certificates unless LAB_IKE_AUTH=psk.
	if [ "${LAB_KEYING:-}" = ike ]; then
		tpl=$tpl-ike
		if [ "${LAB_IKE_AUTH:-pubkey}" = psk ]; then
			tpl=$tpl-psk
		else
			lab_pki
			ln -sfn ../pki "$LAB_TMP/$r/pki"
		fi
	fi
	tpl=$tpl.conf
	local extra=()
	[ "${LAB_PAYLOAD:-}" = esp ] && extra+=(--payload)
	[ -n "${LAB_LOG_LEVEL:-}" ] && extra+=(--set "global.log-level=\"$LAB_LOG_LEVEL\"")
	"$LAB_PY" "$LAB_SRC/tests/mobility/lab_conf.py" "$LAB_SRC/etc/examples/lab/$tpl" "$LAB_TMP/$r/m6.conf" \
		--dir "$LAB_TMP/$r" ${LAB_KEYMAP-"--keymap=$LAB_TMP/keys.json"} "${extra[@]}" "$@" ||
		lab_fail "lab_conf $r"
	"$MIP6SEC" check-config "$LAB_TMP/$r/m6.conf" >"$LAB_TMP/$r/check.out" 2>&1 ||
		lab_fail "$r configuration refused: $(cat "$LAB_TMP/$r/check.out")"
}

lab_ctl() { # ROLE COMMAND [ARGS]
	local r=$1
	shift
	timeout 10 ip netns exec "$(lab_ns $r)" "$MIP6SEC" "$@" -s "$LAB_TMP/$r/control.sock"
}

# lab_json ROLE COMMAND EXPR: a Python expression over `COMMAND --json`
# (bound to d); prints the value (JSON null as None).
lab_json() {
	lab_ctl "$1" "$2" --json | "$LAB_PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"
}

# The HA's binding for the home address (JSON object or None).
LAB_BCE="([b for b in d if b.get('home-address') == '$HOA'] or [None])[0]"
lab_bce() { # FIELD: a field of mn1's binding cache entry ("" if none)
	lab_json ha bindings "(($LAB_BCE) or {}).get('$1', '')" 2>/dev/null
}
lab_mn() { # FIELD of the MN's status "mobile-node" object
	lab_json mn status "d['mobile-node'].get('$1')" 2>/dev/null
}
lab_counter() { # ROLE NAME: a status counter (0 when absent)
	lab_json "$1" status "d.get('counters', {}).get('$2', 0)" 2>/dev/null
}

# lab_start ROLE: start the daemon, wait until its control socket answers.
lab_start() {
	local r=$1 i=0
	rm -f "$LAB_TMP/$r/control.sock"
	echo "=== start $(date +%T.%3N)" >>"$LAB_TMP/$r/daemon.log"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		ip netns exec "$(lab_ns $r)" "$MIP6SEC" daemon -f -c "$LAB_TMP/$r/m6.conf" 2>>"$LAB_TMP/$r/daemon.log" &
	eval "PID_$r=$!"
	LAB_PIDS="$LAB_PIDS $!"
	until lab_ctl $r status >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || lab_fail "$r daemon did not answer in 10 s"
		kill -0 "$(lab_pid $r)" 2>/dev/null || lab_fail "$r daemon exited early"
		sleep 0.1
	done
}

lab_pid() { eval "echo \${PID_$1:-}"; }

# lab_stop ROLE [SIGNAL]: signal the daemon (TERM by default), wait for it.
lab_stop() {
	local r=$1 sig=${2:-TERM} pid i=0
	pid=$(lab_pid $r)
	[ -n "$pid" ] || lab_fail "no $r daemon"
	kill -"$sig" "$pid" || lab_fail "no $r daemon"
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || lab_fail "$r daemon did not stop in 10 s on SIG$sig"
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
	LAB_RC=$?
	eval "PID_$r="
}

lab_no_sanitizer() {
	local r
	for r in ha mn; do
		[ -f "$LAB_TMP/$r/daemon.log" ] || continue
		grep -qE "Sanitizer|runtime error:" "$LAB_TMP/$r/daemon.log" && lab_fail "$r: sanitizer report"
	done
	return 0
}

lab_ms() { echo $(($(date +%s%N) / 1000000)); }

# lab_wait SECONDS DESCRIPTION CMD...: poll CMD every 50 ms until it
# succeeds; fails the test after SECONDS. Sets LAB_WAITED_MS.
lab_wait() {
	local t=$1 what=$2 t0
	shift 2
	t0=$(lab_ms)
	until "$@" >/dev/null 2>&1; do
		[ $(($(lab_ms) - t0)) -lt $((t * 1000)) ] || lab_fail "timed out after ${t} s: $what"
		sleep 0.05
	done
	LAB_WAITED_MS=$(($(lab_ms) - t0))
}

# Conditions for lab_wait.
lab_is_registered() { # [COA]: MN registered (at COA) and the HA's entry valid (at COA)
	local m b
	m=$(lab_ctl mn status --json) && b=$(lab_ctl ha bindings --json) || return 1
	"$LAB_PY" -c '
import json, sys
m = json.loads(sys.argv[1])["mobile-node"]
e = [x for x in json.loads(sys.argv[2]) if x.get("home-address") == sys.argv[3]]
coa = sys.argv[4]
ok = m["registration"] == "registered" and len(e) == 1 and e[0]["state"] == "valid"
ok = ok and (not coa or (m["care-of-address"] == coa and e[0]["care-of-address"] == coa))
sys.exit(0 if ok else 1)' "$m" "$b" "$HOA" "${1:-}"
}
lab_bce_gone() { # mn1's entry absent or deleting
	local s
	s=$(lab_bce state) || return 1
	[ -z "$s" ] || [ "$s" = deleting ]
}
lab_proxy_present() { ip -n "$NS_HA" -6 neigh show proxy | grep -q "^$HOA "; }
lab_route_present() { ip -n "$NS_HA" -6 route show "$HOA/128" | grep -q .; }
lab_intercept_gone() { ! lab_proxy_present && ! lab_route_present; }

# Pick the MN, register it on link a with the lab's configs. Most tests
# start here.
lab_register_on() { # LINK [mn lab_conf options...]
	local link=$1
	shift
	lab_conf ha
	lab_conf mn "$@"
	lab_start ha
	lab_attach "$link"
	lab_start mn
	local coa
	coa=$(lab_link "$link" | cut -d' ' -f3)
	lab_wait 10 "registration at $coa" lab_is_registered "$coa"
}

# lab_capture NS FILE DUMPCAP-OPTIONS...: dumpcap in NS into FILE; returns
# once the capture demonstrably records (it saw a ping on NS's loopback:
# "Capturing on" alone comes before the first packets are kept). LAB_CAP_PID
# is its pid.
lab_capture() {
	local ns=$1 file=$2 i=0
	shift 2
	lab_bg "$ns" "$file.log" dumpcap -w "$file" "$@"
	LAB_CAP_PID=$LAB_BG_PID
	until grep -q "Packets: [1-9]" "$file.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || lab_fail "dumpcap did not start: $(cat "$file.log")"
		grep -q "Capturing on" "$file.log" 2>/dev/null && in_ns "$ns" ping -6 -c 1 -W 1 ::1 >/dev/null 2>&1
		sleep 0.05
	done
	# Under load dumpcap's "any" socket has been seen to miss the first
	# packet after its first report: give it a moment more.
	sleep 0.2
}

lab_capture_stop() { # [PID]
	local p=${1:-$LAB_CAP_PID}
	sleep 0.5
	kill -INT "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

# lab_tshark_prefs ROLE-CONF: tshark -o options decrypting every SA in the
# configuration (as tests/interop/ passes SAs to tshark).
lab_tshark_prefs() {
	"$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" tshark-prefs "$1"
}

# lab_tcp_start NS DST PORT BYTES RATE: a receiver in CN (sha256 of what
# arrives into $LAB_TMP/tcp.out) and a sender in NS of a known pattern of
# BYTES at about RATE bytes/s. lab_tcp_check waits for both and compares.
lab_tcp_start() {
	local ns=$1 dst=$2 port=$3 bytes=$4 rate=$5
	lab_bg "$NS_CN" "$LAB_TMP/tcp.out" "$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" tcp-recv "$dst" "$port" 60
	LAB_TCP_RECV=$LAB_BG_PID
	lab_bg "$ns" "$LAB_TMP/tcp.send" "$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" tcp-send "$dst" "$port" "$bytes" "$rate"
	LAB_TCP_SEND=$LAB_BG_PID
	LAB_TCP_BYTES=$bytes
}

lab_tcp_check() {
	wait "$LAB_TCP_SEND" || lab_fail "TCP sender: $(cat "$LAB_TMP/tcp.send")"
	wait "$LAB_TCP_RECV" || lab_fail "TCP receiver: $(cat "$LAB_TMP/tcp.out")"
	local want
	want=$("$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" pattern-sha "$LAB_TCP_BYTES")
	read -r got_n got_sha got_src <"$LAB_TMP/tcp.out"
	[ "$got_n $got_sha" = "$LAB_TCP_BYTES $want" ] ||
		lab_fail "TCP stream: sent $LAB_TCP_BYTES bytes sha256 $want, received $got_n $got_sha"
	LAB_TCP_PEER=$got_src
}

# lab_capture_r FILE: capture everything R forwards or sends (Linux cooked
# v2 headers: the interface and direction of each packet are kept).
lab_capture_r() { lab_capture "$NS_R" "$1" -i any -y LINUX_SLL2; }

# lab_gaps FILE [lab_gaps.py options]: the handover interruptions in a
# capture of lab_capture_r (see lab_gaps.py).
lab_gaps() {
	local file=$1 args=() idx name
	shift
	while read -r idx name; do
		case $name in
		r-a) args+=(--if "$idx=a") ;;
		r-b) args+=(--if "$idx=b") ;;
		r-mn) args+=(--if "$idx=home") ;;
		esac
	done < <(ip -n "$NS_R" -o link show | sed -n 's/^\([0-9]*\): \([^:@]*\)[:@].*/\1 \2/p')
	[ "${LAB_PAYLOAD:-}" = esp ] && args+=(--spi 0x1007 --spi 0x1008)
	"$LAB_PY" "$LAB_SRC/tests/mobility/lab_gaps.py" "$file" --hoa "$HOA" "${args[@]}" "$@"
}

# lab_finish: stop both daemons with SIGTERM; each must exit 0 and leave
# no TUN behind, and no sanitizer may have reported anything.
lab_finish() {
	local r
	for r in mn ha; do
		[ -n "$(lab_pid $r)" ] || continue
		lab_stop $r
		[ "$LAB_RC" = 0 ] || lab_fail "$r daemon exit status $LAB_RC on SIGTERM"
	done
	ip -n "$NS_HA" link show m6ha0 >/dev/null 2>&1 && lab_fail "HA: TUN m6ha0 left behind"
	ip -n "$NS_MN" link show m6mn0 >/dev/null 2>&1 && lab_fail "MN: TUN m6mn0 left behind"
	lab_intercept_gone || lab_fail "HA: proxy ND entry or /128 route left behind"
	lab_no_sanitizer
}

# lab_drops BEFORE AFTER: BEFORE and AFTER are `lab_json ha status d`
# outputs; succeeds (and prints them) when a drop counter or the home
# agent's bu-dropped or bu-rejected moved between them.
lab_drops() {
	"$LAB_PY" - "$1" "$2" <<'EOP'
import ast, sys
b, a = (ast.literal_eval(open(p).read()) for p in sys.argv[1:3])
up = {k: v - b["counters"].get(k, 0) for k, v in a.get("counters", {}).items()
      if v != b["counters"].get(k, 0) and ("drop" in k or "replay" in k)}
ha = {k: a["home-agent"][k] - b["home-agent"][k] for k in ("bu-dropped", "bu-rejected")
      if a["home-agent"][k] != b["home-agent"][k]}
moved = {k: v - b["counters"].get(k, 0) for k, v in a.get("counters", {}).items() if v != b["counters"].get(k, 0)}
print("drop counters that moved:", up, "; home-agent:", ha)
print("  (all counters that moved: %s)" % moved)
sys.exit(0 if up or ha else 1)
EOP
}
