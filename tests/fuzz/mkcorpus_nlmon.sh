#!/bin/sh
# Seed corpus for tests/fuzz/fuzz_nlmon.c:
#   tests/fuzz/mkcorpus_nlmon.sh BUILD_DIR
# writes tests/fuzz/corpus/nlmon/: the unit test's messages (test_nlmon with
# NLMON_CORPUS_DIR) and, as root, real dumps (links, IPv6 addresses, IPv6
# routes) of a throwaway namespace with a veth pair, documentation addresses
# and a default router.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/tests/fuzz/corpus/nlmon
mkdir -p "$out"
NLMON_CORPUS_DIR=$out "${1:?build dir}/tests/unit/test_nlmon" >/dev/null
[ "$(id -u)" = 0 ] || { echo "not root: no live dumps"; exit 0; }
ns=m6corpus-$$
ip netns add $ns
trap 'ip netns del $ns' EXIT
ip -n $ns link set lo up
ip -n $ns link add a0 type veth peer name a0p
ip -n $ns link set a0p up
ip -n $ns link set a0 up
ip -n $ns addr add 2001:db8:7::1/64 dev a0 nodad
ip -n $ns addr add 2001:db8:7::3/64 dev a0 nodad preferred_lft 0 valid_lft 100
ip -n $ns -6 route add default via fe80::1 dev a0
ip netns exec $ns /usr/bin/python3 - "$out" <<'PY'
import socket, struct, sys
RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 18, 22, 26
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
for name, typ, fam in (("live_links", RTM_GETLINK, struct.pack("=BxHiII", 0, 0, 0, 0, 0)),
                       ("live_addrs", RTM_GETADDR, struct.pack("=BBBBI", socket.AF_INET6, 0, 0, 0, 0)),
                       ("live_routes", RTM_GETROUTE, struct.pack("=BBBBBBBBI", socket.AF_INET6, 0, 0, 0, 0, 0, 0, 0, 0))):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.sendto(struct.pack("=IHHII", 16 + len(fam), typ, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + fam, (0, 0))
    with open(f"{sys.argv[1]}/{name}", "wb") as f:
        f.write(s.recv(65536))
    s.close()
PY
