# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
grep -rn needle "$IN/tree" | sed "s|$IN/||" | sort; grep -c beta "$IN/data.txt"; grep -rL needle "$IN/tree" | wc -l
grep -E '^(12|13) ' "$IN/data.txt" | sort | uniq -c
