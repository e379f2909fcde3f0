/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The context of the read benchmark programs (bench_read.bpf.c), shared with bench_read.cpp. */
#ifndef TLD_BENCH_READ_H
#define TLD_BENCH_READ_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

struct bench_read_ctx {
	__u32 loops;   /* in: reads to time */
	__u32 key_off; /* in: the key's offset in the block (for the raw floor) */
	__u64 ns;      /* out: bpf_ktime_get_ns() around the loop */
	__u64 sum;     /* out: sum of the values read, so nothing is optimised away */
	__u64 hits;    /* out: reads that found the value */
};

#endif /* TLD_BENCH_READ_H */
