#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The command-line habits users bring from bpftool, sshd and systemd services, on the real tldd
# and tldctl: --version, --help without relative doc paths, checking a config without running
# it (tldd --check-config, tldctl keys --check FILE: exit status, FILE:LINE errors),
# --remove-pins refusing under a serving tldd and unmounting the bpffs tldd mounted, and
# tldctl status not saying "up" while tld_data_map is not pinned. Runs as root (tldd pins a map in
# a private directory; the bpffs is mounted by tldd itself).
# Usage: cli_habits_test.sh TLDD TLDCTL SOURCE_DIR
set -uo pipefail
tldd=$1 tldctl=$2 src=$3
work=$(mktemp -d /tmp/tld-cli.XXXXXX)
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	mountpoint -q "$work/pins" && umount "$work/pins"
	rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect RC CMD...: runs CMD, output in $out, fails unless it exits RC.
expect() {
	local want=$1; shift
	out=$("$@" 2>&1); local rc=$?
	[[ $rc == "$want" ]] || fail "$* exited $rc, expected $want: $out"
}
has() { grep -qE -- "$1" <<<"$out" || fail "expected /$1/ in: $out"; }

# --- --version, --help --------------------------------------------------------------------
expect 0 "$tldd" --version; has '^tldd [0-9]+\.[0-9]+\.[0-9]+$'
expect 0 "$tldctl" --version; has '^tldctl [0-9]+\.[0-9]+\.[0-9]+$'
for prog in "$tldd" "$tldctl"; do
	expect 0 "$prog" --help
	# A path such as docs/broker.md means nothing where the program is installed.
	if grep -qE '(^|[^/a-z])docs/' <<<"$out"; then fail "$prog --help names a relative docs/ path"; fi
done

# --- Checking configs -----------------------------------------------------------------------
cat >"$work/keys.conf" <<'CONF'
[key.prio]
type = u32
default = 0
CONF
cat >"$work/bad-keys.conf" <<'CONF'
[key.prio]
type = u32
default = 0
typo_here = 1
CONF
printf 'keys-config = %s\nmax-clients = 16\n' "$work/keys.conf" >"$work/tldd.conf"
printf 'keys-config = %s\n' "$work/bad-keys.conf" >"$work/tldd-badkeys.conf"
printf 'max-clients = 16\nmax-clinets = 3\n' >"$work/tldd-bad.conf"

expect 0 "$tldctl" keys --check "$work/keys.conf"; has "^$work/keys.conf: ok"
expect 0 "$tldctl" keys --check "$src/config/keys.conf"; has 'ok'
expect 1 "$tldctl" keys --check "$work/bad-keys.conf"; has "^$work/bad-keys.conf:4: "
expect 1 "$tldctl" keys --check "$work/missing.conf"; has "missing.conf"
expect 0 "$tldd" --check-config --config "$work/tldd.conf"; has "$work/keys.conf: ok"
expect 1 "$tldd" --check-config --config "$work/tldd-bad.conf"; has "tldd-bad.conf:2"
expect 1 "$tldd" --check-config --config "$work/tldd-badkeys.conf"; has "bad-keys.conf:4: "

# --- --remove-pins under a serving tldd, status without the pin ----------------------------
# The pin root is a plain directory: tldd mounts a bpffs on it.
mkdir "$work/pins"
sock=$work/tldd.sock
opts=(--pin-root "$work/pins" --socket "$sock" --config "$work/tldd.conf")
"$tldd" "${opts[@]}" 2>"$work/tldd.log" &
pid=$!
for _ in $(seq 200); do [[ -S $sock ]] && break; sleep 0.05; done
[[ -S $sock ]] || { fail "tldd did not start: $(cat "$work/tldd.log")"; exit 1; }
[[ $(stat -f -c %T "$work/pins") == bpf_fs ]] || fail "tldd did not mount a bpffs on the pin root"

expect 1 "$tldd" --remove-pins "${opts[@]}"; has "a tldd is serving $sock: stop it first"
[[ -e $work/pins/tld_data_map ]] || fail "--remove-pins removed the pin under a serving tldd"
ctl=(--pin-root "$work/pins" --socket "$sock" --config "$work/keys.conf")
expect 0 "$tldctl" "${ctl[@]}" status; has '^tldd: +up \('
# The pin goes from under tldd (as an old --remove-pins did): status must not say up.
rm "$work/pins/tld_data_map"
expect 1 "$tldctl" "${ctl[@]}" status; has "^tldd: +serving $sock, but tld_data_map is not pinned"
if grep -qE '^tldd: +up' <<<"$out"; then fail "status says up without the pin: $out"; fi
expect 1 "$tldctl" "${ctl[@]}" --json status; has '"map_pinned":false'

kill "$pid"; wait "$pid"; pid=
expect 0 "$tldd" --remove-pins "${opts[@]}"
mountpoint -q "$work/pins" 2>/dev/null && fail "--remove-pins left the bpffs tldd mounted"
[[ -e $work/pins ]] && fail "--remove-pins left the pin root"

if ((failures)); then echo "$failures failures"; exit 1; fi
echo "cli habits: all passed"
