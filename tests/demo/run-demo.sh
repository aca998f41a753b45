#!/usr/bin/env bash
# mip6sec demo: installs what is missing, builds, and runs the demo.
#
# Until the mobility demo lands (issue 4), the demo starts the daemon inside a
# fresh network namespace with the shipped etc/mip6sec.conf, shows its status
# (as a table and as JSON) over the control socket, reloads it with SIGHUP,
# and stops it cleanly.
#
#   topology:   [ netns m6demo-$$ : lo, mip6sec daemon ]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "run-demo: run as root (network namespaces, /run)" >&2; exit 1; }
bash tests/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p _build-demo
(cd _build-demo && { [ -f Makefile ] || ../configure -q >/dev/null; } && make -s -j"$jobs" mip6sec >/dev/null)
bin=$top/_build-demo/mip6sec
conf=$top/etc/mip6sec.conf

ns=m6demo-$$
log=$(mktemp /tmp/mip6sec-demo.XXXXXX.log)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT INT TERM

echo "== checking $conf"
"$bin" check-config "$conf"

echo "== starting mip6sec in network namespace $ns"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" daemon -f -c "$conf" 2>"$log" &
pid=$!
for _ in $(seq 50); do "$bin" status -c "$conf" >/dev/null 2>&1 && break; sleep 0.1; done
"$bin" status -c "$conf" >/dev/null || { echo "run-demo: daemon did not come up:" >&2; cat "$log" >&2; exit 1; }

echo "== mip6sec status"
"$bin" status -c "$conf"
echo "== mip6sec status --json"
"$bin" status -c "$conf" --json
echo "== mip6sec bindings"
"$bin" bindings -c "$conf"

echo "== reload (SIGHUP)"
kill -HUP "$pid"
sleep 0.5
"$bin" status -c "$conf" | grep -i reload || true

echo "== stopping (SIGTERM)"
kill -TERM "$pid"
wait "$pid" && echo "mip6sec exited cleanly" || { echo "mip6sec exit status $?" >&2; cat "$log" >&2; exit 1; }
pid=
echo "== daemon log"
cat "$log"
