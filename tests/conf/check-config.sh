#!/bin/sh
# Runs the real `mip6sec check-config` on the shipped configurations (each
# must be accepted) and on some broken ones (each must be refused with the
# file:line: key their first line announces). Skips (77) until the daemon
# has the check-config command.
set -u
: "${MIP6SEC:?}" "${top_srcdir:?}"
out=$("$MIP6SEC" check-config "$top_srcdir/etc/mip6sec.conf" 2>&1)
case $out in
*"configuration valid"*) ;;
*) echo "SKIP: $MIP6SEC has no check-config yet: $out"; exit 77 ;;
esac

fail=0
for f in "$top_srcdir"/etc/mip6sec.conf "$top_srcdir"/etc/examples/*.conf; do
	if out=$("$MIP6SEC" check-config "$f" 2>&1); then
		echo "ok   $out"
	else
		echo "FAIL $f rejected: $out"; fail=1
	fi
done

for name in unknown-key syntax-error sa-gcm sa-spi-duplicate cn-kcn-short tunnel-overlap role-key \
	tunnel-ike-encapsulation tunnel-ike-peer-unknown; do
	f=$top_srcdir/tests/conf/broken/$name.conf
	# "# expect: LINE KEY TEXT"
	set -- $(sed -n '1s/^# expect: //p' "$f")
	line=$1 key=$2
	if [ "$key" = "-" ]; then want="$f:$line: "; else want="$f:$line: $key: "; fi
	if out=$("$MIP6SEC" check-config "$f" 2>&1); then
		echo "FAIL $f accepted"; fail=1
		continue
	fi
	case $out in
	"$want"*) echo "ok   $out" ;;
	*) echo "FAIL $f: want '$want...', got '$out'"; fail=1 ;;
	esac
done
exit $fail
