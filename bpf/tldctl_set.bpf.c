// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tldctl_set: writes one key's value into one thread's block. A SEC("syscall") program, run
 * with BPF_PROG_TEST_RUN once per thread: struct tldctl_set_ctx names the thread and carries the
 * result back. Syscall programs need CAP_BPF only (a task iterator also needs CAP_PERFMON),
 * which is all tldd's unit grants it; tldd runs this for the owners of processes.
 *
 * The thread is looked up with bpf_task_from_pid(). Reading task->tgid to check its process
 * would need CAP_PERFMON, so the loader does that with a thread pidfd around the run
 * (loader/progs/setter.cpp). The key and value live in .bss,
 * written before each request, so one loaded program serves many. The key is looked up by name
 * in the task's meta page on every run, never trusted from user space: the block is user memory
 * its process may rewrite at any time, so every offset is checked against the block
 * (meta->size) and the page before the store.
 *
 * A run with check_only set validates and writes nothing; the loader checks every thread first,
 * so a request that fails for one thread changes none.
 *
 * ctx->err:
 *   0         written (or writable, in a check run)
 *   -ESRCH    no such thread (any more)
 *   -ENXIO    the thread has no entry in tld_data_map
 *   -ENODATA  the entry has no meta or data page
 *   -ENOENT   no published key of that name
 *   -EBUSY    a key before it is being published: offsets after it are not known yet
 *   -EMSGSIZE the key's published size is not the value's size (config and process disagree)
 *   -ERANGE   the key's slot lies outside the thread's block or page, or is not 8-aligned
 *             (a garbage meta page or registration)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/abi.h>
#include <tldctl/records.h>

#define ENOENT   2
#define ESRCH    3
#define ENXIO    6
#define EBUSY    16
#define ERANGE   34
#define ENODATA  61
#define EMSGSIZE 90

#include <tld/data_map.bpf.h>

/*
 * The loader marks the thread it verified, through a thread pidfd, which names that one task
 * for good; the program writes only to a task carrying the run's mark. A tid that the verified
 * thread left behind and another task took meanwhile (pid reuse) finds no mark: -ESRCH.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} tldctl_set_marks SEC(".maps");

/* Forces full definitions of the uptr pointees into BTF (see tld_btf_anchor in abi.h). */
const volatile struct {
	__u32 abi_version;
	struct tld_btf_anchor anchor;
} tldctl_set_abi = {.abi_version = TLD_ABI_VERSION};

/*
 * Inputs. key_name is zero padded to whole words, its NUL included in the compare; key_mask
 * has 0xff for every byte of key_name up to and including the NUL, 0 after it (set by the
 * loader), so a name compares with no branch per word: fewer paths for the verifier, which
 * without CAP_PERFMON also explores the mispredicted side of branches.
 */
union {
	char c[TLD_NAME_LEN + 2];
	__u64 w[(TLD_NAME_LEN + 2) / 8];
} key_name, key_mask;
__u32 value_size;
/* Zero past value_size: store() writes whole words. */
__u8 value[TLDCTL_MAX_VALUE] __attribute__((aligned(8)));

/* Does the published name equal key_name? The mask also hides the size field after name[]. */
static __always_inline bool name_eq(const struct tld_metadata *m)
{
	const __u64 *w = (const __u64 *)m->name;
	__u64 diff = 0;
	__u32 j;

#pragma clang loop unroll(full)
	for (j = 0; j < (TLD_NAME_LEN + 2) / 8; j++)
		diff |= (w[j] ^ key_name.w[j]) & key_mask.w[j];
	return !diff;
}

/* The key's offset in a block, or -errno. */
static __always_inline long find_key(struct tld_meta_u *meta)
{
	__u32 cnt = meta->cnt, i;
	__u64 off = 0;

	if (cnt > TLD_MAX_KEYS)
		cnt = TLD_MAX_KEYS;
	for (i = 0; i < TLD_MAX_KEYS; i++) {
		struct tld_metadata *m;
		__u16 ksize;

		if (i >= cnt)
			break;
		m = &meta->metadata[i];
		ksize = *(volatile __u16 *)&m->size;
		if (!ksize)
			return -EBUSY;
		if (name_eq(m))
			return ksize == value_size ? (long)off : -EMSGSIZE;
		off += TLD_ROUND_UP((__u64)ksize);
		if (off >= TLD_PAGE_SIZE)
			return -ERANGE;
	}
	return -ENOENT;
}

/*
 * The word at offset @at (a multiple of 8 below the page size) of @data, reached by constant
 * additions only. Adding a variable offset to a uptr is pointer arithmetic the verifier allows
 * only with CAP_PERFMON (its Spectre v1 sanitation covers stack and map values, and
 * bpf_dynptr_from_mem() refuses uptr memory), and tldd runs this program with CAP_BPF alone.
 * One conditional constant add per offset bit gives the verifier 512 paths, each with a known
 * offset; the barrier in each branch keeps clang from folding the adds back into one.
 */
static __always_inline __u64 *word_at(struct tld_data_u *data, __u64 at)
{
	char *p = (char *)data;

#define TLDCTL_ADD_BIT(bit)                                                                        \
	if (at & (bit)) {                                                                          \
		p += (bit);                                                                        \
		barrier_var(p);                                                                    \
	}
	TLDCTL_ADD_BIT(2048)
	TLDCTL_ADD_BIT(1024)
	TLDCTL_ADD_BIT(512)
	TLDCTL_ADD_BIT(256)
	TLDCTL_ADD_BIT(128)
	TLDCTL_ADD_BIT(64)
	TLDCTL_ADD_BIT(32)
	TLDCTL_ADD_BIT(16)
	TLDCTL_ADD_BIT(8)
#undef TLDCTL_ADD_BIT
	return (__u64 *)p;
}

struct store_ctx {
	struct tld_data_u *data;
	__u64 pos;
};

/* Word @i of the slot: value bytes, or the zeros after them. Verified once by bpf_loop(). */
static long store_word(__u64 i, void *arg)
{
	struct store_ctx *c = arg;
	__u64 from = i * 8, at = c->pos + from;

	if (at > TLD_PAGE_SIZE - 8 || from > TLDCTL_MAX_VALUE - 8)
		return 1;
	/* Index value[] with the register just checked. */
	barrier_var(from);
	*(volatile __u64 *)word_at(c->data, at & (TLD_PAGE_SIZE - 8)) = *(__u64 *)(value + from);
	return 0;
}

/*
 * Stores the key's slot at data + pos: value[0..value_size) and zeros up to the next multiple
 * of 8, a word at a time. The slot's padding belongs to the key (the next key starts at the
 * next multiple of 8; the caller checked the slot lies inside the block). A key of up to 8
 * bytes is one store, so a concurrent reader sees the old or the new value, never a mix.
 * Return: 0 or -ERANGE.
 */
static __always_inline int store(struct tld_data_u *data, __u64 pos)
{
	struct store_ctx c = {.data = data, .pos = pos};
	__u32 words = TLD_ROUND_UP(value_size) / 8;

	if ((pos & 7) || pos + words * 8 > TLD_PAGE_SIZE || words > TLDCTL_MAX_VALUE / 8)
		return -ERANGE;
	return bpf_loop(words, store_word, &c, 0) == words ? 0 : -ERANGE;
}

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

/* Checks, and unless check_only writes, the value in @task's block. Return: 0 or -errno. */
static __always_inline int set_task(struct task_struct *task, bool check, __u32 *off_out)
{
	struct tld_map_value *v;
	struct tld_meta_u *meta;
	struct tld_data_u *data;
	__u64 pos, start;
	long off;

	v = bpf_task_storage_get(&tld_data_map, task, 0, 0);
	if (!v)
		return -ENXIO;
	meta = v->meta;
	data = v->data;
	if (!meta || !data)
		return -ENODATA;
	off = find_key(meta);
	if (off < 0)
		return off;
	*off_out = off;
	/* The page's own start word (user memory, as everything here): bounded below. */
	start = *(volatile __u64 *)&data->start;
	if (start >= TLD_PAGE_SIZE)
		return -ERANGE;
	pos = start + (__u64)off;
	if (off + TLD_ROUND_UP((__u64)value_size) > meta->size || value_size == 0 ||
	    value_size > TLDCTL_MAX_VALUE || pos + value_size > TLD_PAGE_SIZE)
		return -ERANGE;
	return check ? 0 : store(data, pos);
}

SEC("syscall")
int tldctl_set(struct tldctl_set_ctx *ctx)
{
	struct task_struct *task;
	__u32 off = 0, *mark;
	int err;

	task = bpf_task_from_pid(ctx->tid);
	if (!task) {
		ctx->err = -ESRCH;
		return 0;
	}
	mark = bpf_task_storage_get(&tldctl_set_marks, task, 0, 0);
	if (mark && *mark && *mark == ctx->mark)
		err = set_task(task, ctx->check_only, &off);
	else
		err = -ESRCH; /* not the thread the loader verified */
	bpf_task_release(task);
	/* Stores to the context at constant offsets only: clang otherwise bumps the ctx
	 * pointer between two stores, which the verifier refuses. */
	barrier_var(ctx);
	ctx->err = err;
	barrier_var(ctx);
	ctx->off = off;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
