# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
java -Xshare:auto -XX:-UsePerfData -XX:TieredStopAtLevel=1 "$SRC/apps/Workers.java" 200
