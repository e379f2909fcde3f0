# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
head -c 300000 "$IN/data.txt" | bzip2 -c | tee d.bz2 | bzip2 -dc | sha256sum; sha256sum < d.bz2
