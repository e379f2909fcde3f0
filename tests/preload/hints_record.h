/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* One task's hints as hints_iter.bpf.c reports them; shared by the BPF program and the test. */
#ifndef TLD_TEST_HINTS_RECORD_H
#define TLD_TEST_HINTS_RECORD_H

#define HINT_PRIO     1
#define HINT_LATENCY  2
#define HINT_DEADLINE 4
#define HINT_TAG      8

struct hints_record {
	__s32 pid;
	__s32 tid;
	__u32 found; /* HINT_* bits: which keys tld_get_data() returned */
	__u32 prio;
	__u64 deadline_ns;
	__u8 latency;
	char tag[8];
	__u8 pad[7];
};

#endif
