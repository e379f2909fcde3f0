# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
sed -n 's/^\([0-9]*\)7 line \(.*\)$/\2:\1/p' "$IN/lines.txt" | sha256sum
sed -e '1,3d' -e 's/alpha/A/g' "$IN/data.txt" | head -4
