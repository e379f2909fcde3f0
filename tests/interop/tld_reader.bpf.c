// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The same task iterator as upstream_reader.bpf.c, through tld.bpf.h: the interop tests run
 * both side by side on the same threads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/tld.bpf.h>

#include "interop_record.h"

struct tld_keys {
	tld_key_t flag;
	tld_key_t prio;
	tld_key_t budget;
	tld_key_t tag;
};

static __always_inline void put(struct interop_key *out, struct tld_map_value *v, void *p,
                                __u32 size)
{
	if (!p)
		return;
	out->found = 1;
	out->off = (char *)p - (char *)v->data;
	if (size >= INTEROP_READ)
		__builtin_memcpy(out->bytes, p, INTEROP_READ);
	else if (size >= 8)
		__builtin_memcpy(out->bytes, p, 8);
	else if (size >= 4)
		__builtin_memcpy(out->bytes, p, 4);
	else
		__builtin_memcpy(out->bytes, p, 1);
}

SEC("iter/task")
int tld_dump(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct interop_rec rec = {};
	struct tld_object obj;

	if (!task || tld_object_init(task, &obj))
		return 0;
	rec.pid = task->tgid;
	rec.tid = task->pid;
	rec.data_page = (__u64)obj.data_map->data;
	put(&rec.key[INTEROP_K_FLAG], obj.data_map, tld_get_data(&obj, flag, "flag", 1), 1);
	put(&rec.key[INTEROP_K_PRIO], obj.data_map, tld_get_data(&obj, prio, "prio", 4), 4);
	put(&rec.key[INTEROP_K_BUDG], obj.data_map, tld_get_data(&obj, budget, "budget", 8), 8);
	put(&rec.key[INTEROP_K_TAG], obj.data_map, tld_get_data(&obj, tag, "tag", 16), 16);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
