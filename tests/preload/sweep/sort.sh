# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
sort -n -k1,1 --parallel=4 -S 2M "$IN/lines.txt" | sha256sum
sort -u "$IN/data.txt" | wc -l
