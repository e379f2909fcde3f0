# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
zstd -q -T4 -3 -c "$IN/lines.txt" | sha256sum
zstd -q -T4 -c "$IN/data.txt" | zstd -q -dc | cmp - "$IN/data.txt" && echo same
