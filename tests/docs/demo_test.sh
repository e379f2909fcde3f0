#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The README's first command, scripts/demo, on this build: the sample config's rules match
# the JVM's named threads, so BPF reads different hints for different threads (what the
# demo's `tldctl list` shows), and the demo ends normally.
# Usage: demo_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
out=$("$1/scripts/demo" --build "$2" 2>&1)
rc=$?
fail() {
	printf '%s\n' "$out"
	echo "demo_test: $*" >&2
	exit 1
}
((rc == 0)) || fail "scripts/demo exited $rc"
line() { # the `tldctl list` line of the thread named $1
	grep -E "^[0-9]+ +[0-9]+ +java +$1 +brokered " <<<"$out" | head -1
}
audio=$(line audio-out)
worker=$(line worker-0)
[[ $audio == *'latency_critical=true prio=10 deadline_ns=0 role="audio"'* ]] ||
	fail "audio-out does not carry the audio rule's hints: '$audio'"
[[ $worker == *'latency_critical=true prio=100 deadline_ns=2000000 role="worker"'* ]] ||
	fail "worker-0 does not carry the workers rule's hints: '$worker'"
sets=$(sed -n 's/^BPF read \([0-9]*\) different sets of hints.*/\1/p' <<<"$out")
# The JVM's GC and JIT threads add sets where its collector has such threads (not SerialGC).
((${sets:-0} >= 3)) || fail "BPF read ${sets:-no} different sets of hints, expected 3 or more"
grep -q '^prio=5 in 1 thread of process ' <<<"$out" || fail "tldctl set of one thread"
grep -q '^== done: java exited normally$' <<<"$out" || fail "the demo did not end normally"
echo "demo: BPF read $sets different sets of hints"
