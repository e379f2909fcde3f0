// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tldctl_dump: what BPF sees in tld_data_map, for `tldctl list`, `get` and `status`.
 *
 * A task iterator over every task (or the one thread / process the loader filters on) that has
 * an entry in tld_data_map, the pinned map reused with bpf_map__reuse_fd(). User-space lookups
 * of the map return zeroed uptrs, so only a BPF program can read what a thread registered.
 * For each such task it emits a struct tldctl_thread_rec, the meta page's key table and the
 * thread's block (see tldctl/records.h). The pages are user memory: counts and sizes are
 * clamped here so every copy stays inside its page, and the reader validates the rest.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/abi.h>
#include <tld/broker_map.bpf.h>
#include <tld/data_map.bpf.h>
#include <tldctl/records.h>

/* Set by the loader: tld_broker_map is tldd's pinned one. Otherwise nobody fills it in and
 * records say that where a thread came from is not known. */
const volatile bool have_broker_map = false;

/* The block is copied here first: its offset and length are both variable, and the verifier
 * cannot prove their sum stays inside the page when they are passed to bpf_seq_write(). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[TLD_PAGE_SIZE]);
} scratch SEC(".maps");

/* Forces full definitions of the uptr pointees into BTF (see tld_btf_anchor in abi.h). */
const volatile struct {
	__u32 abi_version;
	struct tld_btf_anchor anchor;
} tldctl_dump_abi = {.abi_version = TLD_ABI_VERSION};

static const __u64 zeros[1];

SEC("iter/task")
int tldctl_dump(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct tldctl_thread_rec rec = {};
	struct tld_map_value *v;
	struct tld_meta_u *meta;
	struct tld_data_u *data;
	__u32 zero = 0, len = 0, nkeys = 0, pad;
	__u64 start = 0;
	char *buf;

	if (!task)
		return 0;
	v = bpf_task_storage_get(&tld_data_map, task, 0, 0);
	if (!v)
		return 0;

	rec.magic = TLDCTL_REC_MAGIC;
	rec.pid = task->tgid;
	rec.tid = task->pid;
	__builtin_memcpy(rec.comm, task->comm, sizeof(rec.comm));
	bpf_probe_read_kernel(rec.pcomm, sizeof(rec.pcomm), task->group_leader->comm);
	meta = v->meta;
	data = v->data;
	if (!have_broker_map) {
		rec.flags |= TLDCTL_REC_PATH_UNKNOWN;
	} else {
		struct tld_broker_entry *e = bpf_task_storage_get(&tld_broker_map, task, 0, 0);

		if (e && (e->flags & TLD_BROKER_E_BROKERED))
			rec.flags |= TLDCTL_REC_BROKERED;
	}
	rec.data_page = (__u64)data;
	rec.meta_page = (__u64)meta;
	if (!meta)
		rec.flags |= TLDCTL_REC_NO_META;
	if (!data)
		rec.flags |= TLDCTL_REC_NO_DATA;
	if (meta) {
		rec.meta_cnt = meta->cnt;
		rec.meta_size = meta->size;
		nkeys = rec.meta_cnt;
		if (nkeys > TLD_MAX_KEYS) {
			nkeys = TLD_MAX_KEYS;
			rec.flags |= TLDCTL_REC_BAD_CNT;
		}
	}
	/* The page's start word, as consumers read it: out of the page is a bad start. */
	if (data)
		start = *(volatile __u64 *)&data->start;
	if (start >= TLD_PAGE_SIZE) {
		rec.flags |= TLDCTL_REC_BAD_START;
	} else {
		rec.start = start;
		if (meta && data) {
			len = rec.meta_size;
			if (len > TLD_PAGE_SIZE - start) {
				len = TLD_PAGE_SIZE - start;
				rec.flags |= TLDCTL_REC_BAD_SIZE;
			}
		}
	}
	rec.nkeys = nkeys;
	rec.block_len = len;

	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf)
		return 0;
	if (len && bpf_probe_read_kernel(buf, len & (TLD_PAGE_SIZE * 2 - 1), (char *)data + start))
		return 0; /* cannot happen for a pinned page; emit nothing rather than garbage */

	bpf_seq_write(seq, &rec, sizeof(rec));
	if (meta && nkeys)
		bpf_seq_write(seq, meta->metadata, nkeys * sizeof(struct tld_metadata));
	if (len) {
		bpf_seq_write(seq, buf, len & (TLD_PAGE_SIZE * 2 - 1));
		pad = (8 - (len & 7)) & 7;
		if (pad)
			bpf_seq_write(seq, zeros, pad);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
