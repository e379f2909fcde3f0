# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
gzip -n -c "$IN/data.txt" | sha256sum
pigz -n -p4 -c "$IN/lines.txt" | tee l.gz | pigz -dc | sha256sum; sha256sum < l.gz
