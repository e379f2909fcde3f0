#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The default prefix as a new user installs it, `sudo cmake --install build` into /usr/local:
# then a program built with pkg-config runs, and LD_PRELOAD=libtldpreload.so (a bare name, as
# the README writes it) loads. Both need the dynamic loader's cache to list /usr/local's libdir.
# In a private mount namespace, where /usr/local is a tmpfs and /etc a copy: the host's stay
# as they are. The build's install lists are restored afterwards.
# Usage: ld_cache_test.sh BUILD_DIR (configured for the default prefix, /usr/local)
set -euo pipefail
build=$1
work=$(mktemp -d /tmp/tld-ldcache-XXXXXX)
lists=(tld-installed.txt install_manifest.txt)
for f in "${lists[@]}"; do
	if [[ -e $build/$f ]]; then cp -p "$build/$f" "$work/$f"; fi
done
cleanup() {
	for f in "${lists[@]}"; do
		if [[ -e $work/$f ]]; then cp -p "$work/$f" "$build/$f"; else rm -f "$build/$f"; fi
	done
	rm -rf "$work"
}
trap cleanup EXIT
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
if [[ $prefix != /usr/local ]]; then
	echo "ld_cache_test: $build is configured for $prefix, not the default /usr/local" >&2
	exit 1
fi
cp -a /etc "$work/etc"
cat >"$work/app.c" <<'APP'
#include <stdio.h>
#include <tld/tld.h>

int main(void)
{
	tld_key_t key = tld_create_key("prio", sizeof(int));
	printf("key at %d\n", key.off);
	return tld_key_is_err(key);
}
APP
unshare -m --propagation private bash -euo pipefail -c '
	work=$1 build=$2
	mount -t tmpfs tmpfs /usr/local
	mount --bind "$work/etc" /etc
	cmake --install "$build" >"$work/install.log"
	cc "$work/app.c" -o "$work/app" $(pkg-config --cflags --libs tld)
	"$work/app"
	LD_PRELOAD=libtldpreload.so TLD_DISABLE=1 /bin/true 2>"$work/preload.err"
	if [[ -s $work/preload.err ]]; then cat "$work/preload.err" >&2; exit 1; fi
	echo "LD_PRELOAD=libtldpreload.so loads"
' _ "$work" "$build"
