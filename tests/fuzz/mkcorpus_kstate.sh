#!/bin/sh
# Write the seed corpus of fuzz_kstate (tests/fuzz/corpus/kstate/): the lines
# of tests/unit/test_kstate.c's tables, one journal per case, and the
# crash-recovery journal of its journal_recovery test.
# Run from anywhere: sh tests/fuzz/mkcorpus_kstate.sh
set -eu
out=$(cd "$(dirname "$0")" && pwd)/corpus/kstate
mkdir -p "$out"
rm -f "$out"/*
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '%s\n' "$line" > "$out/line-$i"
done <<'EOL'
route m6t fd00:b::/64 1024
route tun0 ::/0 0
route a.b-c_d 2001:db8::/32 4294967295
addr m6t fd00:a::1/64
addr ha0 2001:db8:1::1/128
# comment
rule m6t fd00:b::/64 1024
route m6t fd00:b::/64 1024 extra
route  m6t fd00:b::/64 1024
route averyveryverylongname fd00:b::/64 1
route a/b fd00:b::/64 1
route m6t fd00:b::/129 1024
route m6t fd00:b::1/64 1024
route m6t fd00:b::/64 4294967296
route m6t fd00:b::/64 0x10
addr m6t fd00:a::1/200
nft mip6sec
nft M6_t-1
nft mip6sec extra
nft 1mip6sec
nft a;b
route6 m6mn0 ::/0 0 186 2001:db8:1::10 -
route6 m6ha0 2001:db8:1::100/128 256 254 - fe80::1
route6 m6mn0 ::/0 0 255 - -
rule 1000 254 any is 0
rule 1001 186 0x6d36/0xffffffff not -
rule 0 186 any is -
rule 1001 186 0x6d36 not -
proxy eth0 2001:db8:1::10
proxy eth0 2001:db8:1::10/64
sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 0
sysctl /proc/sys/net/ipv6/neigh/eth0/proxy_delay 0 80
sysctl /proc/sys/net/ipv6/../../kernel/x 1 0
sysctl /proc/sys/net/ipv4/ip_forward 1 0
EOL
printf '# header\nroute m6t fd00:b::/64 1024\naddr m6t fd00:a::1/64\nbogus line\nroute gone0 fd00:c::/64 5\nroute m6t fd0' \
	> "$out/recovery"
printf 'nft mip6sec\nroute m6t fd00:b::/64 1024\nnft bad;name\n' > "$out/recovery-nft"
printf 'sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 0\nproxy eth0 2001:db8:1::100\nroute6 m6mn0 ::/0 0 186 2001:db8:1::100 -\nrule 1001 186 0x6d36/0xffffffff not -\nrule 1000 254 any is 0\n' > "$out/recovery-mobile"
