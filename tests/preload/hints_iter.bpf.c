// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What a scheduler would see: for every task, the test config's keys as read through
 * tld.bpf.h. A task iterator, so the test can look at the threads of another process.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/tld.bpf.h>

#include "hints_record.h"

struct tld_keys {
	tld_key_t prio;
	tld_key_t latency;
	tld_key_t deadline_ns;
	tld_key_t tag;
};

SEC("iter/task")
int dump_hints(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct hints_record rec = {};
	struct tld_object obj;
	__u32 *prio;
	__u8 *latency;
	__u64 *deadline;
	char *tag;

	if (!task || tld_object_init(task, &obj))
		return 0;
	rec.pid = task->tgid;
	rec.tid = task->pid;
	prio = tld_get_data(&obj, prio, "prio", sizeof(__u32));
	if (prio) {
		rec.found |= HINT_PRIO;
		rec.prio = *prio;
	}
	latency = tld_get_data(&obj, latency, "latency", sizeof(__u8));
	if (latency) {
		rec.found |= HINT_LATENCY;
		rec.latency = *latency;
	}
	deadline = tld_get_data(&obj, deadline_ns, "deadline_ns", sizeof(__u64));
	if (deadline) {
		rec.found |= HINT_DEADLINE;
		rec.deadline_ns = *deadline;
	}
	tag = tld_get_data(&obj, tag, "tag", 8);
	if (tag) {
		rec.found |= HINT_TAG;
		__builtin_memcpy(rec.tag, tag, 8);
	}
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
