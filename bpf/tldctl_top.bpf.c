// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tldctl_top: a scheduler-path consumer of task local data, the stand-in for a sched_ext
 * scheduler on kernels without one. tp_btf programs on sched_switch, sched_wakeup and
 * sched_wakeup_new read one key of each task through tld.bpf.h, where a scheduler's
 * ops.running and ops.runnable would, and aggregate per value of that key (a class):
 *
 *   runs     switches in
 *   cpu_ns   CPU time of the slices that started with that value: the task's
 *            se.sum_exec_runtime at switch out minus at switch in, the kernel's own count
 *            (what /proc/PID/task/TID/schedstat shows), so top and the kernel agree
 *   wait     the runqueue wait before each such slice, from a wakeup or from a preemption
 *            that left the task queued (as runqlat counts): the growth of the task's
 *            sched_info.run_delay over the slice, since sched_info_arrive() adds the wait
 *            just after this tracepoint; a log-linear histogram (tldctl/top.h)
 *   wakeups  sched_wakeup and sched_wakeup_new of tasks with the key
 *
 * The hint is read when a task switches in, as a scheduler reads it when it picks the task,
 * and the slice (with the wait before it) is accounted to that class when the task switches
 * out. Small hint values count in a per-CPU array, others in a per-CPU hash (tldctl/top.h). Reading
 * the kernel's own counters instead of bpf_ktime_get_ns() keeps clock reads off the switch path
 * entirely (one costs over 100 ns on some virtual machines). A task without task local data costs
 * two task storage lookups per switch and one per wakeup. Needs CONFIG_SCHED_INFO (on wherever
 * delay accounting or schedstats are).
 *
 * Set by the loader before load (.rodata): hint_size (1, 2, 4 or 8: the verifier must know it
 * to bound the read), filter_tgid, count_unhinted. hint_name/hint_len live in .bss: the name
 * is only compared, never used as a bound.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <tld/tld.bpf.h>
#include <tldctl/top.h>

struct tld_keys {
	tld_key_t hint;
};

/* Laid out as tld.bpf.h's union tld_name, but anonymous so the skeleton can name it. */
union {
	char c[TLD_NAME_LEN + 2];
	__u64 w[(TLD_NAME_LEN + 2) / 8];
} hint_name;
__u32 hint_len; /* bytes of hint_name including its NUL */
const volatile __u32 hint_size = 4;
const volatile __u32 filter_tgid;   /* 0: every process */
const volatile bool count_unhinted; /* also account tasks without the key, as one class */

/* Events lost because the class table was full. */
__u64 dropped;

/* top's per-task context, created for tasks with task local data; a sched_ext scheduler's
 * task context plays this part, and carries the tld offset cache the same way. */
struct top_task {
	struct tld_keys keys; /* tld.bpf.h's offset cache for this task */
	__u64 exec_in;        /* se.sum_exec_runtime at switch in */
	__u64 delay_in;       /* sched_info.run_delay at switch in, before this wait was added */
	struct tldctl_top_key key; /* the class of the slice running now */
	__u32 on_cpu; /* 1: switched in while top watched; exec_in, delay_in and key are valid */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct top_task);
} top_task_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TLDCTL_TOP_MAX_CLASSES);
	__type(key, struct tldctl_top_key);
	__type(value, struct tldctl_top_stats);
} class_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TLDCTL_TOP_DIRECT + 1);
	__type(key, __u32);
	__type(value, struct tldctl_top_stats);
} class_direct SEC(".maps");

static const struct tldctl_top_stats zero_stats;

/*
 * Which class @t belongs to now, and its context (NULL for an unhinted task). The first lookup
 * is tld_data_map's, so a task without task local data costs one lookup and gets no context;
 * a registered one gets a context whose tld_keys is the offset cache (tld_object_init_cache()
 * saves tld_key_map's lookup: the context is looked up anyway).
 * Return: false if @t is not accounted at all.
 */
static __always_inline bool class_of(struct task_struct *t, struct tldctl_top_key *key,
                                     struct top_task **ctx)
{
	struct tld_object obj;
	struct top_task *tt;
	void *p;

	*ctx = NULL;
	if (filter_tgid && t->tgid != filter_tgid)
		return false;
	key->value = 0;
	key->hinted = 0;
	key->pad = 0;
	if (!bpf_task_storage_get(&tld_data_map, t, 0, 0))
		return count_unhinted;
	tt = bpf_task_storage_get(&top_task_map, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tt || tld_object_init_cache(t, &obj, &tt->keys))
		return count_unhinted;
	*ctx = tt;
	p = __tld_get_data(&obj, __builtin_offsetof(struct tld_keys, hint),
	                   (const union tld_name *)&hint_name, hint_len, hint_size);
	if (!p)
		return count_unhinted;
	key->hinted = 1;
	if (hint_size == 1)
		key->value = *(__u8 *)p;
	else if (hint_size == 2)
		key->value = *(__u16 *)p;
	else if (hint_size == 4)
		key->value = *(__u32 *)p;
	else if (hint_size == 8)
		key->value = *(__u64 *)p;
	return true;
}

static __always_inline struct tldctl_top_stats *stats_of(struct tldctl_top_key *key)
{
	struct tldctl_top_stats *s;
	__u32 slot = TLDCTL_TOP_DIRECT;

	if (!key->hinted || key->value < TLDCTL_TOP_DIRECT) {
		if (key->hinted)
			slot = key->value;
		return bpf_map_lookup_elem(&class_direct, &slot);
	}
	s = bpf_map_lookup_elem(&class_stats, key);
	if (s)
		return s;
	bpf_map_update_elem(&class_stats, key, &zero_stats, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&class_stats, key);
	if (!s)
		__sync_fetch_and_add(&dropped, 1);
	return s;
}

/* The index of the highest set bit of @ns (> 0): BPF has no count-leading-zeros. */
static __always_inline __u32 msb_of(__u64 ns)
{
	__u32 msb = 0;

	if (ns >> 32) {
		msb += 32;
		ns >>= 32;
	}
	if (ns >> 16) {
		msb += 16;
		ns >>= 16;
	}
	if (ns >> 8) {
		msb += 8;
		ns >>= 8;
	}
	if (ns >> 4) {
		msb += 4;
		ns >>= 4;
	}
	if (ns >> 2) {
		msb += 2;
		ns >>= 2;
	}
	if (ns >> 1)
		msb += 1;
	return msb;
}

/* Counts one wait in its histogram slot (see tldctl/top.h): the top bit and the two below. */
static __always_inline void account_wait(struct tldctl_top_stats *s, __u64 wait)
{
	__u32 slot = wait, msb;

	if (wait >= 4) {
		msb = msb_of(wait);
		slot = (msb - 1) * 4 + ((wait >> (msb - 2)) & 3);
	}
	if (slot >= TLDCTL_TOP_HIST_SLOTS)
		slot = TLDCTL_TOP_HIST_SLOTS - 1;
	s->hist[slot]++;
	s->waits++;
	s->wait_ns += wait;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tldctl_top_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct tldctl_top_stats *s;
	struct tldctl_top_key key;
	struct top_task *tt;

	/* prev: its slice goes to the class it had when it switched in. update_curr() ran
	 * before this tracepoint, so sum_exec_runtime includes the slice. */
	tt = bpf_task_storage_get(&top_task_map, prev, 0, 0);
	if (tt && tt->on_cpu) {
		__u64 exec = prev->se.sum_exec_runtime, delay = prev->sched_info.run_delay;

		tt->on_cpu = 0;
		s = stats_of(&tt->key);
		if (s) {
			if (exec > tt->exec_in)
				s->cpu_ns += exec - tt->exec_in;
			/* 0: the task was not stamped as queued (a zero wait has no meaning). */
			if (delay > tt->delay_in)
				account_wait(s, delay - tt->delay_in);
		}
	}

	/* next: read its hint as a scheduler picking it would. */
	if (!class_of(next, &key, &tt))
		return 0;
	if (!tt) /* unhinted, counted with --all: a context of its own for the accounting */
		tt = bpf_task_storage_get(&top_task_map, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tt)
		return 0;
	tt->exec_in = next->se.sum_exec_runtime;
	tt->delay_in = next->sched_info.run_delay;
	tt->key = key;
	tt->on_cpu = 1;
	s = stats_of(&key);
	if (s)
		s->runs++;
	return 0;
}

static __always_inline int on_wakeup(struct task_struct *p)
{
	struct tldctl_top_stats *s;
	struct tldctl_top_key key;
	struct top_task *tt;

	if (!class_of(p, &key, &tt))
		return 0;
	s = stats_of(&key);
	if (s)
		s->wakeups++;
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(tldctl_top_wakeup, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(tldctl_top_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
