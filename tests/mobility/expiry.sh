#!/bin/bash
# Lifetime expiry (RFC 6275 10.3.1, R6275-10.3.1.*): the MN registers with
# an 8 s lifetime and is killed with SIGKILL (no deregistration). The HA
# keeps the entry (and the proxy ND entry and /128 route) until the granted
# lifetime runs out, then the entry expires (gone or "deleting") within
# 2 s of the deadline, not more than 1 s before it, and the interception
# on the home link ends with it.
. "$(dirname "$0")/lab.sh"
lab_init
lab_up
lab_register_on a --set mobile-node.binding-lifetime=8
# Kill right after a refresh so the whole lifetime is measured (lab_wait evaluates $seq).
# shellcheck disable=SC2034 # seq is read by the eval below
seq=$(lab_bce sequence)
lab_wait 10 "a refresh" eval '[ "$(lab_bce sequence)" != "$seq" ]'
left=$(lab_bce lifetime-left)
kill -KILL "$(lab_pid mn)"
t_kill=$(lab_ms)
wait "$(lab_pid mn)" 2>/dev/null
eval "PID_mn=" # lab.sh: no MN daemon any more
echo "MN killed with lifetime-left $left s on the HA"
lab_proxy_present || lab_fail "proxy ND entry gone before expiry"
lab_route_present || lab_fail "/128 route gone before expiry"
lab_wait $((left + 4)) "the entry to expire" lab_bce_gone
t_gone=$(lab_ms)
dt=$((t_gone - t_kill))
echo "entry expired $dt ms after the kill (lifetime-left was $left s)"
[ $dt -ge $(((left - 1) * 1000)) ] || lab_fail "entry expired after $dt ms, before the $left s left"
[ $dt -le $(((left + 2) * 1000)) ] || lab_fail "entry expired after $dt ms, more than 2 s past the $left s left"
lab_wait 1 "proxy ND entry and /128 route removed at expiry" lab_intercept_gone
[ "$(lab_json ha status "d['home-agent']['bindings']")" = 0 ] || lab_fail "HA status still counts a binding"
grep -q "binding expired: hoa $HOA" "$LAB_TMP/ha/daemon.log" || lab_fail "no 'binding expired' log line"
lab_finish
echo "PASS: expiry $dt ms after the kill with $left s left; interception removed"
