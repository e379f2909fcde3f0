# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
find "$IN/tree" -type f -name '*.txt' -printf '%P %s\n' | sort; find "$IN/tree" -type d | wc -l
