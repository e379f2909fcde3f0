// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tldctl_top: a scheduler-path consumer of task local data, the stand-in for a sched_ext
 * scheduler on kernels without one. tp_btf programs on sched_switch, sched_wakeup and
 * sched_wakeup_new read one key of each task through tld.bpf.h, where a scheduler's
 * ops.running and ops.runnable would, and aggregate per value of that key (a class):
 *
 *   runs     slices, counted when they end (a switch out), with their CPU time and wait
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
 * entirely (one costs over 100 ns on some virtual machines). Task storage lookups are the other
 * cost that counts (docs/performance.md): a switch or wakeup does one, tld_data_map's for the
 * task switching in or woken; the slice being switched out is found in a per-CPU slot and the
 * offset cache in a per-CPU array, both inlined lookups. Needs CONFIG_SCHED_INFO (on wherever
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

/*
 * tld.bpf.h's offset cache, per CPU and indexed by pid. A scheduler keeps it in the per-task
 * context it looks up anyway; top has no other use for one, and a task storage lookup costs
 * more than the rest of a hinted switch. The cache's tags make a slot shared by two pids miss
 * (and look the key up by name again), never return the other task's offset; per CPU, no two
 * writers race on a slot (the scheduler tracepoints run with interrupts off).
 */
#define TOP_CACHE_SLOTS 1024

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TOP_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct tld_keys);
} top_key_cache SEC(".maps");

/*
 * The slice running on this CPU, written when its task switches in: the task the next
 * sched_switch here takes off the CPU is the one that switched in last, so the switch out
 * needs no per-task lookup. The pid guards against a switch top did not see (attached in
 * between, or the program skipped because another ran on this CPU).
 */
struct top_cpu {
	__u64 exec_in;             /* se.sum_exec_runtime at switch in */
	__u64 delay_in;            /* sched_info.run_delay at switch in, before this wait */
	struct tldctl_top_key key; /* the class of the slice */
	__s32 pid;                 /* the task running it */
	__u32 on;                  /* 1: a slice top accounts; the fields above are valid */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct top_cpu);
} top_cpu_map SEC(".maps");

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
 * Which class @t belongs to now: tld_data_map is the only task storage lookup, and its value
 * serves the read (tld_object_init_value()) with the offset cache in top_key_cache.
 * Return: false if @t is not accounted at all.
 */
static __always_inline bool class_of(struct task_struct *t, struct tldctl_top_key *key)
{
	struct tld_map_value *v;
	struct tld_keys *cache;
	struct tld_object obj;
	__u32 slot;
	void *p;

	if (filter_tgid && t->tgid != filter_tgid)
		return false;
	key->value = 0;
	key->hinted = 0;
	key->pad = 0;
	/* The idle tasks (pid 0 on every CPU) cannot have a pidfd, so no task local data. */
	if (!t->pid)
		return count_unhinted;
	v = bpf_task_storage_get(&tld_data_map, t, 0, 0);
	if (!v)
		return count_unhinted;
	slot = t->pid & (TOP_CACHE_SLOTS - 1);
	cache = bpf_map_lookup_elem(&top_key_cache, &slot);
	if (!cache || tld_object_init_value(&obj, v, cache))
		return count_unhinted;
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
	struct top_cpu *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&top_cpu_map, &zero);
	if (!c)
		return 0;

	/* prev: its slice goes to the class it had when it switched in. update_curr() ran
	 * before this tracepoint, so sum_exec_runtime includes the slice. Everything about the
	 * slice is counted here, so the switch in touches no statistics. */
	if (c->on && c->pid == prev->pid) {
		__u64 exec = prev->se.sum_exec_runtime, delay = prev->sched_info.run_delay;

		s = stats_of(&c->key);
		if (s) {
			s->runs++;
			if (exec > c->exec_in)
				s->cpu_ns += exec - c->exec_in;
			/* 0: the task was not stamped as queued (a zero wait has no meaning). */
			if (delay > c->delay_in)
				account_wait(s, delay - c->delay_in);
		}
	}

	/* next: read its hint as a scheduler picking it would. */
	c->on = class_of(next, &c->key);
	if (!c->on)
		return 0;
	c->pid = next->pid;
	c->exec_in = next->se.sum_exec_runtime;
	c->delay_in = next->sched_info.run_delay;
	return 0;
}

static __always_inline int on_wakeup(struct task_struct *p)
{
	struct tldctl_top_stats *s;
	struct tldctl_top_key key;

	if (!class_of(p, &key))
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
