# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
cat > s.sh <<'SH'
f() { echo "f $1"; }
for i in $(seq 1 5); do f $i | tr f g; done
x=$( (echo sub; echo shell) | wc -l); echo "x=$x"
exec 4> fd4.txt; echo a >&4; (echo b >&4); /bin/echo c >&4; exec 4>&-; cat fd4.txt
for i in 1 2 3; do (echo "bg $i" > "bg$i") & done; wait; cat bg1 bg2 bg3
mapfile -t arr < <(printf '%s\n' z y x); echo "${arr[*]}" | rev
coproc { read -r l; echo "co $l"; }; echo ping >&"${COPROC[1]}"; read -r got <&"${COPROC[0]}"; echo "$got"
echo done $?
SH
bash s.sh
