#!/bin/sh
# Daemon lifecycle in a network namespace: start, control socket, reloads
# (bad one keeps the old config live, good one swaps), a second daemon
# refused, clean shutdown on SIGTERM without leaks.
#
#   +--------------------- netns m6core-$$ ---------------------+
#   |  lo                                                       |
#   |  mip6sec daemon -f -c $tmp/m6.conf (correspondent role)   |
#   |      \__ $tmp/run/control.sock  <--  mip6sec status ...   |
#   +-----------------------------------------------------------+
#
# Needs root and `ip netns`; skips (77) otherwise. Bounded by timeouts.
set -u
fail() { echo "FAIL: $*"; [ -f "$tmp/daemon.log" ] && sed 's/^/  log: /' "$tmp/daemon.log"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "not root"
command -v ip >/dev/null 2>&1 || skip "no ip(8)"
command -v python3 >/dev/null 2>&1 || skip "no python3"
: "${MIP6SEC:?MIP6SEC must name the built binary}"

ns=m6core-$$
tmp=$(mktemp -d /tmp/m6core.XXXXXX)
dpid=
cleanup() {
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
ip -n "$ns" link set lo up

sock=$tmp/run/control.sock
conf=$tmp/m6.conf
in_ns() { timeout 20 ip netns exec "$ns" "$@"; }
ctl() { in_ns "$MIP6SEC" "$@" -s "$sock"; }
# Evaluate a Python expression over `status --json` (bound to d).
status() { ctl status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

write_conf() { # log-level
	cat > "$conf.new" <<EOC
global = {
	log-level = "$1";
	control-socket = "$sock";
	state-dir = "$tmp/state";
};
correspondent = {
	route-optimisation = true;
};
EOC
	mv "$conf.new" "$conf" # replace the file, as an editor or deploy tool does
}
write_conf info
"$MIP6SEC" check-config "$conf" >/dev/null || fail "test config is invalid"

# A socket left by a crashed daemon (nobody accepts on it) must be cleared.
mkdir -m 0700 "$tmp/run"
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
[ -S "$sock" ] || fail "could not make a stale socket"

# Without a daemon: a clear message and exit 1.
rm -f "$sock.none"
out=$(in_ns "$MIP6SEC" status -s "$sock.none" 2>&1); rc=$?
[ $rc = 1 ] || fail "status without a daemon exited $rc"
case $out in
*"cannot connect to $sock.none: "*"-- is the daemon running?"*) ;;
*) fail "status without a daemon said: $out" ;;
esac

# A bad config at startup: the file:line error, exit 1, nothing created.
printf 'global = {\n\tlog-level = "loud";\n};\n' > "$tmp/bad.conf"
out=$(in_ns "$MIP6SEC" daemon -f -c "$tmp/bad.conf" 2>&1); rc=$?
[ $rc = 1 ] || fail "daemon with a bad config exited $rc"
case $out in "mip6sec: $tmp/bad.conf:"[0-9]*": "*) ;; *) fail "bad config said: $out" ;; esac
[ -S "$sock" ] || fail "a failed start touched the stale socket"

ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 timeout 60 ip netns exec "$ns" \
	"$MIP6SEC" daemon -f -c "$conf" 2>"$tmp/daemon.log" &
tpid=$!
i=0
until ctl status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "daemon did not answer in 10 s"
	kill -0 $tpid 2>/dev/null || fail "daemon exited early"
	sleep 0.1
done
dpid=$(status 'd["pid"]')
grep -q "removing stale control socket" "$tmp/daemon.log" || fail "stale socket not reported"
[ "$(stat -c %a "$sock")" = 600 ] || fail "socket mode $(stat -c %a "$sock")"
[ "$(stat -c %a "$tmp/run")" = 700 ] || fail "run dir mode $(stat -c %a "$tmp/run")"

# status --json carries the documented fields.
[ "$(status 'd["roles"]')" = "['cn']" ] || fail "roles: $(status 'd["roles"]')"
[ "$(status 'd["config"]["generation"]')" = 1 ] || fail "generation not 1"
[ "$(status 'd["config"]["log_level"]')" = info ] || fail "log level not info"
[ "$(status 'd["config"]["file"]')" = "$conf" ] || fail "config file: $(status 'd["config"]["file"]')"
[ "$(status 'd["reload"]["last_result"]')" = none ] || fail "reload result not none"
[ "$(status 'd["counters"]["pkt.in"] == 0 and isinstance(d["uptime_s"], int)')" = True ] ||
	fail "counters/uptime"
[ "$(status 'd["version"]')" = "$("$MIP6SEC" version | cut -d' ' -f2)" ] || fail "version"
[ "$(ctl bindings)" = none ] || fail "bindings: $(ctl bindings)"
[ "$(ctl sas --json)" = "[]" ] || fail "sas --json: $(ctl sas --json)"
[ "$(ctl policies)" = none ] || fail "policies"

# Garbage and floods are answered or refused, never fatal.
python3 - "$sock" <<'EOP' || fail "protocol abuse check"
import socket, struct, sys
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path); return s
def answer(s):
    h = b''
    while len(h) < 12:
        c = s.recv(12 - len(h)); assert c, "closed"; h += c
    n = struct.unpack('>I', h[8:12])[0]
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b)); assert c; b += c
    return h, b
s = conn(); s.sendall(b'XXXXXXXXXXXX')
h, b = answer(s)
assert h[:2] == b'M6' and h[3] == 2 and h[6] == 1 and b == b'bad request: bad magic\n', (h, b)
assert s.recv(1) == b'', "connection should be closed"
held = [conn() for _ in range(16)]
s = conn(); h, b = answer(s)
assert h[6] == 5, "17th client should get busy, got %r" % h
for c in held: c.close()
EOP
sleep 0.2
[ "$(status 'd["counters"]["ctl.drop_bad_magic"], d["counters"]["ctl.refused_busy"]')" = "(1, 1)" ] ||
	fail "drop counters: $(status 'd["counters"]["ctl.drop_bad_magic"], d["counters"]["ctl.refused_busy"]')"

# A second daemon on the same socket refuses to start and leaves it alone.
out=$(in_ns "$MIP6SEC" daemon -f -c "$conf" 2>&1); rc=$?
[ $rc = 1 ] || fail "second daemon exited $rc"
case $out in *"another mip6sec daemon is answering on $sock"*) ;; *) fail "second daemon: $out" ;; esac
ctl status >/dev/null || fail "first daemon lost its socket"

wait_reloads() { # count
	i=0
	until [ "$(status 'd["reload"]["count"]')" = "$1" ]; do
		i=$((i + 1)); [ $i -lt 50 ] || fail "reload $1 not seen"
		sleep 0.1
	done
}

# Bad reload: syntax error on line 3 -> old config stays live.
printf 'global = {\n\tlog-level = "debug";\n\tcontrol-socket = \n' > "$conf.new" && mv "$conf.new" "$conf"
kill -HUP "$dpid"
wait_reloads 1
[ "$(status 'd["reload"]["last_result"]')" = failed ] || fail "bad reload not reported"
case $(status 'd["reload"]["last_error"]') in "$conf:"[0-9]*) ;; *) fail "error lacks file:line: $(status 'd["reload"]["last_error"]')" ;; esac
[ "$(status 'd["config"]["generation"]')" = 1 ] || fail "generation moved on a bad reload"
[ "$(status 'd["config"]["log_level"]')" = info ] || fail "old log level not live"
grep -q "reload failed, keeping the running configuration: $conf:[0-9]" "$tmp/daemon.log" ||
	fail "reload error with file:line not logged"
out=$(ctl reload 2>&1); rc=$?
[ $rc = 1 ] || fail "mip6sec reload of a bad config exited $rc"
case $out in *"$conf:"[0-9]*) ;; *) fail "mip6sec reload said: $out" ;; esac
wait_reloads 2

# Good reload: the new config is swapped in.
write_conf debug
kill -HUP "$dpid"
wait_reloads 3
[ "$(status 'd["reload"]["last_result"], d["reload"]["failures"]')" = "('ok', 2)" ] || fail "good reload"
[ "$(status 'd["config"]["generation"]')" = 2 ] || fail "generation not 2"
[ "$(status 'd["config"]["log_level"]')" = debug ] || fail "new log level not live"
ctl reload >/dev/null || fail "mip6sec reload of a good config"
[ "$(status 'd["config"]["generation"]')" = 3 ] || fail "generation not 3"

# SIGTERM: exit 0, socket removed, no leak report.
kill -TERM "$dpid"
wait $tpid; rc=$?
dpid=
[ $rc = 0 ] || fail "daemon exited $rc after SIGTERM"
[ ! -e "$sock" ] || fail "socket left behind"
grep -q -e LeakSanitizer -e AddressSanitizer -e 'runtime error' "$tmp/daemon.log" && fail "sanitizer report"
grep -q "stopped" "$tmp/daemon.log" || fail "no clean-stop message"
echo "PASS: daemon lifecycle"
exit 0
