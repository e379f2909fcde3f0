# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
awk '{s[$2] += $1} END {for (k in s) print k, s[k]}' "$IN/data.txt" | sort
awk 'NR % 50000 == 0 {print NR, $0}' "$IN/lines.txt"
