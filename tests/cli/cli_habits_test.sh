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
	[[ -n ${notify_pid:-} ]] && kill "$notify_pid" 2>/dev/null && wait "$notify_pid" 2>/dev/null
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
cp "$work/tldd.conf" "$work/tldd-good.conf"
printf 'keys-config = %s\n' "$work/bad-keys.conf" >"$work/tldd-badkeys.conf"
printf 'max-clients = 16\nmax-clinets = 3\n' >"$work/tldd-bad.conf"

expect 0 "$tldctl" keys --check "$work/keys.conf"; has "^$work/keys.conf: ok"
expect 0 "$tldctl" keys --check "$src/config/keys.conf"; has 'ok'
expect 1 "$tldctl" keys --check "$work/bad-keys.conf"; has "^$work/bad-keys.conf:4: "
expect 1 "$tldctl" keys --check "$work/missing.conf"; has "missing.conf"
expect 0 "$tldd" --check-config --config "$work/tldd.conf"; has "$work/keys.conf: ok"
expect 1 "$tldd" --check-config --config "$work/tldd-bad.conf"; has "tldd-bad.conf:2"
expect 1 "$tldd" --check-config --config "$work/tldd-badkeys.conf"; has "bad-keys.conf:4: "

# --- One JSON convention: values typed as list types them (docs/json.md) ---------------------
expect 0 "$tldctl" --config "$src/config/keys.conf" keys --json
has '"name":"latency_critical","type":"bool","default":false,'
has '"name":"prio","type":"u32","default":100,'
has '"name":"role","type":"bytes:16","default":"worker",'
has '"rule":"python","when":"exe=python3\*","value":120\}'

# --- --remove-pins under a serving tldd, status without the pin ----------------------------
# The pin root is a plain directory: tldd mounts a bpffs on it. tldd's sd_notify messages are
# collected from $NOTIFY_SOCKET, one line each ('|' for newlines).
mkdir "$work/pins"
sock=$work/tldd.sock
opts=(--pin-root "$work/pins" --socket "$sock" --config "$work/tldd.conf")
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
while True:
    print(s.recv(4096).decode().replace("\n", "|"), flush=True)
' "$work/notify.sock" >"$work/notify.log" 2>/dev/null &
notify_pid=$!
for _ in $(seq 100); do [[ -S $work/notify.sock ]] && break; sleep 0.05; done
NOTIFY_SOCKET=$work/notify.sock "$tldd" "${opts[@]}" 2>"$work/tldd.log" &
pid=$!
for _ in $(seq 200); do [[ -S $sock ]] && break; sleep 0.05; done
[[ -S $sock ]] || { fail "tldd did not start: $(cat "$work/tldd.log")"; exit 1; }
[[ $(stat -f -c %T "$work/pins") == bpf_fs ]] || fail "tldd did not mount a bpffs on the pin root"

expect 1 "$tldd" --remove-pins "${opts[@]}"; has "a tldd is serving $sock: stop it first"
[[ -e $work/pins/tld_data_map ]] || fail "--remove-pins removed the pin under a serving tldd"
# A reload that fails says so in STATUS= before READY=1 (systemctl status shows it).
cp "$work/tldd-bad.conf" "$work/tldd.conf"
kill -HUP "$pid"
for _ in $(seq 200); do grep -q 'reload failed' "$work/notify.log" && break; sleep 0.05; done
sleep 0.2
cp "$work/tldd-good.conf" "$work/tldd.conf"
out=$(cat "$work/notify.log")
has '^READY=1\|STATUS=serving$'
has '^RELOADING=1'
has '^STATUS=serving; reload failed, kept the running configuration: .*tldd.conf:2'
grep -A1 'reload failed' <<<"$out" | tail -1 | grep -q '^READY=1$' || fail "no READY=1 after the failed reload: $out"
ctl=(--pin-root "$work/pins" --socket "$sock" --config "$work/keys.conf")
expect 0 "$tldctl" "${ctl[@]}" status; has '^tldd: +up \('
expect 0 "$tldctl" "${ctl[@]}" --json status
has '"kind":"map","id":[0-9]+,"name":"tld_data_map","type":"task_storage"'
has '"map_pinned":true'
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
