# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
seq 1 1000 > a; seq 1 1000 | sed 's/^500$/five hundred/' > b; diff -u --label a --label b a b; echo "diff $?"
cmp a b; echo "cmp $?"
