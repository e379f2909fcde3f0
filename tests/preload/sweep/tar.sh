# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$IN" -cf - tree | tee t.tar | sha256sum
tar -tvf t.tar | awk '{print $1, $3, $6}'; mkdir x && tar -xf t.tar -C x && diff -r x/tree "$IN/tree" && echo same
