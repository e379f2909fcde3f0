# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
cd "$IN"; sha256sum lines.txt data.txt; md5sum data.txt; wc lines.txt; cut -d' ' -f1 data.txt | sort | uniq -c | sort -k1,1nr -k2,2n | head -3
seq 1 20 | xargs -P4 -n1 sh -c 'echo $(($0 * $0))' | sort -n | tr '\n' ' '; echo
