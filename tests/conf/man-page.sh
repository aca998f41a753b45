#!/bin/sh
# mip6sec.conf(5): the KEYS section must be exactly what the schema table
# generates (tests/conf/man-keys), and the page must render without groff
# warnings (checked when groff is installed).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
page=$top_srcdir/man/mip6sec.conf.5
gen=$top_builddir/tests/conf/man-keys
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

"$gen" > "$tmp/want" || { echo "FAIL: $gen"; exit 1; }
sed -n '/^\.\\" BEGIN KEYS/,/^\.\\" END KEYS/p' "$page" | sed '1d;$d' > "$tmp/have"
if ! diff -u "$tmp/have" "$tmp/want"; then
	echo "FAIL: $page KEYS section is out of date; regenerate it with tests/conf/man-keys"
	exit 1
fi
echo "ok   KEYS section matches the schema ($(grep -c '^\.TP' "$tmp/want") keys)"

if ! command -v groff >/dev/null 2>&1; then
	echo "SKIP: groff not installed, rendering not checked"
	exit 0
fi
LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2> "$tmp/warn"
if [ -s "$tmp/warn" ]; then
	echo "FAIL: groff warnings:"; cat "$tmp/warn"
	exit 1
fi
echo "ok   groff -man -ww renders $page cleanly"
