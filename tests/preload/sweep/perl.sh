# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
perl -Mthreads -e 'my @t = map { my $n = $_; threads->create(sub { my $s = 0; $s += $_ * $n for 1..100000; $s }) } 1..4; print join(",", map { $_->join } @t), "\n"'
perl -ne '$c{(split)[0] % 10}++; END { print map { "$_=$c{$_} " } sort keys %c; print "\n" }' "$IN/data.txt"
