# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
cat > s.sh <<'SH'
i=0; while [ $i -lt 20 ]; do i=$((i+1)); echo $i; done | awk '{s += $1} END {print s}'
exec 5>f5; echo x >&5; (echo y >&5); exec 5>&-; cat f5
echo hello | cat | tr a-z A-Z; false || echo "status $?"
for f in a b c; do (echo "$f" > "$f.txt") & done; wait; cat a.txt b.txt c.txt
SH
dash s.sh
