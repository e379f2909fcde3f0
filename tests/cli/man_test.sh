#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The man pages as built: each renders without a groff warning, carries this version, and
# tldd(8) and tldctl(8) describe every option and command the programs' --help lists.
# Usage: man_test.sh MAN_DIR VERSION TLDD TLDCTL
set -uo pipefail
dir=$1 version=$2 tldd=$3 tldctl=$4
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
for page in tldd.8 tldctl.8 libtldpreload.8 keys.conf.5; do
	[[ -s $dir/$page ]] || { fail "$page was not built"; continue; }
	warnings=$(groff -man -Tutf8 -ww -z "$dir/$page" 2>&1)
	[[ -z $warnings ]] || fail "$page: $warnings"
	grep -q "tld $version" "$dir/$page" || fail "$page does not carry version $version"
	grep -q '^\.SH NAME' "$dir/$page" || fail "$page has no NAME section"
done
text() { groff -man -Tutf8 "$dir/$1" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g'; }
tldd_page=$(text tldd.8)
for opt in $("$tldd" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	grep -qF -- "$opt" <<<"$tldd_page" || fail "tldd(8) does not describe $opt"
done
tldctl_page=$(text tldctl.8)
for opt in $("$tldctl" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	grep -qF -- "$opt" <<<"$tldctl_page" || fail "tldctl(8) does not describe $opt"
done
for cmd in $("$tldctl" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR>1 && NF {print $1}'); do
	grep -qE -- "^ +$cmd( |$)" <<<"$tldctl_page" || fail "tldctl(8) does not describe $cmd"
done
if ((failures)); then echo "$failures failures"; exit 1; fi
echo "man pages: all passed"
