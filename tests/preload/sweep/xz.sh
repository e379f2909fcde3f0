# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
xz -T4 -1 -c "$IN/lines.txt" > l.xz; xz -dc -T4 l.xz | sha256sum; sha256sum < l.xz
