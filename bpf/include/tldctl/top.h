/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The shared structs of `tldctl top` (bpf/tldctl_top.bpf.c and loader/tldctl/top*.cpp):
 * per-hint-value scheduler statistics, one per-CPU entry per class.
 *
 * Wait latencies go into a log-linear histogram: 4 slots per power of two, so a percentile
 * read from it is within 12.5% of the true value. Slot i < 4 holds the value i; above that,
 * slot i holds [(4 + i % 4) << (i / 4 - 1), (5 + i % 4) << (i / 4 - 1)) ns.
 */
#ifndef TLDCTL_TOP_H
#define TLDCTL_TOP_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

#define TLDCTL_TOP_HIST_SLOTS  160  /* up to 2^41 ns, about 36 minutes */
#define TLDCTL_TOP_MAX_CLASSES 1024 /* hint values >= TLDCTL_TOP_DIRECT, in a hash map */
/* Hint values below this have a slot in a per-CPU array (index = value), the class of tasks
 * without the key the slot at TLDCTL_TOP_DIRECT: array lookups are inlined, hash lookups
 * are not, and small values are the common case for hints. */
#define TLDCTL_TOP_DIRECT 256

struct tldctl_top_key {
	__u64 value;  /* the hint's value, zero-extended */
	__u32 hinted; /* 0: tasks without the key (only with count_unhinted) */
	__u32 pad;
};

struct tldctl_top_stats {
	__u64 cpu_ns;  /* time on CPU, accounted when the task switches out */
	__u64 runs;    /* slices on CPU, counted at their switch out */
	__u64 wakeups; /* sched_wakeup and sched_wakeup_new */
	__u64 waits;   /* slices after waiting on a runqueue: latency samples */
	__u64 wait_ns; /* their sum */
	__u64 hist[TLDCTL_TOP_HIST_SLOTS];
};

#endif /* TLDCTL_TOP_H */
