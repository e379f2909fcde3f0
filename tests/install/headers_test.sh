#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The installed headers with the compilers a consumer on Debian 12 has: tld.h and abi.h in C
# with gcc and clang-14 (bookworm's default clang), tld.hpp in C++ with g++ and clang++-14; as
# BPF, tld.bpf.h builds with the project's clang (>= 16) and stops clang-14 with a message
# saying why (older clang drops the __uptr type tags).
# Usage: headers_test.sh SOURCE_DIR VMLINUX_DIR BPF_CLANG
set -uo pipefail
src=$1 vmlinux=$2 bpf_clang=$3
work=$(mktemp -d /tmp/tld-headers.XXXXXX)
trap 'rm -rf "$work"' EXIT
inc=(-I"$src/preload/include" -I"$src/bpf/include")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cat >"$work/c.c" <<'C'
#include <tld/tld.h>
#include <tld/abi.h>
#include <stddef.h>
int main(void) { return (int)offsetof(struct tld_metadata, size) - 62; }
C
cat >"$work/cpp.cpp" <<'CPP'
#include <tld/tld.hpp>
#include <tld/abi.h>
int main() { return 0; }
CPP
# bpf_helpers.h first, as consumers write it: its own offsetof must not break abi.h's checks.
cat >"$work/bpf.c" <<'BPF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/tld.bpf.h>
char LICENSE[] SEC("license") = "GPL";
BPF
for cc in gcc clang-14; do
	for std in c11 gnu11 c17; do
		out=$($cc -std=$std -Wall -Wextra -Werror "${inc[@]}" -c "$work/c.c" -o "$work/c.o" 2>&1) ||
			fail "$cc -std=$std: $out"
	done
done
for cxx in g++ clang++-14; do
	for std in c++17 c++20; do
		out=$($cxx -std=$std -Wall -Wextra -Werror "${inc[@]}" -c "$work/cpp.cpp" -o "$work/cpp.o" 2>&1) ||
			fail "$cxx -std=$std: $out"
	done
done
bpf=(-target bpf -g -O2 -Wall -Werror -D__TARGET_ARCH_x86 -I"$vmlinux" "${inc[@]}" -c "$work/bpf.c")
out=$("$bpf_clang" "${bpf[@]}" -o "$work/bpf.o" 2>&1) || fail "$bpf_clang as BPF: $out"
if out=$(clang-14 "${bpf[@]}" -o "$work/bpf14.o" 2>&1); then
	fail "clang-14 compiled tld.bpf.h: its BPF would lack the __uptr tags"
elif ! grep -q 'tld.bpf.h needs clang >= 16' <<<"$out"; then
	fail "clang-14 fails without saying why: $out"
elif grep -q 'static_assert' <<<"$out"; then
	fail "clang-14 trips over abi.h's static asserts: $out"
fi
if ((failures)); then echo "$failures failures"; exit 1; fi
echo "headers: all passed"
