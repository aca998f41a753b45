#!/bin/sh
# man/mip6sec.8 renders without a groff warning (-ww), and documents every
# command and option `mip6sec --help` lists. Skips (77) without groff.
set -u
command -v groff >/dev/null 2>&1 || { echo "SKIP: no groff"; exit 77; }
page=${top_srcdir:-.}/man/mip6sec.8
warn=$(groff -ww -man -Tutf8 -z "$page" 2>&1)
[ -z "$warn" ] || { echo "$warn"; echo "FAIL: groff warnings"; exit 1; }
text=$(groff -man -Tascii -P-c -P-b -P-u "$page" 2>/dev/null)
for cmd in $("$MIP6SEC" --help | sed -n 's/^  \([a-z-]*\)  .*/\1/p'); do
	printf '%s\n' "$text" | grep -q -- "$cmd" || { echo "FAIL: command $cmd not in mip6sec(8)"; exit 1; }
	for opt in $("$MIP6SEC" "$cmd" --help | grep -o -e ' --[a-z-]*' -e '^  -[a-z]'); do
		printf '%s\n' "$text" | grep -q -- "$opt" || {
			echo "FAIL: $cmd option $opt not in mip6sec(8)"; exit 1; }
	done
done
echo "PASS: mip6sec(8)"
