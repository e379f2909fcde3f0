/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tld.bpf.h - read task local data from BPF programs.
 *
 * User space (libtld) publishes named keys in a per-process meta page and stores each thread's
 * values in its own data page, in a block starting at the page's first u64 (`start`);
 * tld_data_map links every registered task to both pages (see tld/abi.h). This header finds a
 * key by name and returns a pointer to the task's value. It reads the layout upstream's
 * task_local_data.bpf.h reads, and either header reads what the other's user side wrote.
 *
 * Usage, the same as upstream's task_local_data.bpf.h:
 *
 *	#include "vmlinux.h"
 *	#include <bpf/bpf_helpers.h>
 *	#include <tld/tld.bpf.h>
 *
 *	struct tld_keys {		// one tld_key_t per key the program reads
 *		tld_key_t prio;
 *		tld_key_t in_cs;
 *	};
 *
 *	struct tld_object obj;
 *	int *prio;
 *
 *	if (tld_object_init(task, &obj))
 *		return 0;		// the task has no task local data
 *	prio = tld_get_data(&obj, prio, "prio", sizeof(int));
 *	if (prio)
 *		use(*prio);
 *
 * struct tld_keys is the value of tld_key_map, a task storage map this object owns: it caches,
 * per task and per key, where the key was found, so the name is compared once per task and
 * process image, not on every read. Define it after including this header (it needs
 * tld_key_t) and before the end of the file.
 *
 * Trust: user space can write anything into its own meta and data pages at any time. Every
 * pointer returned here lies inside the task's own data page, at [data + start + off, + size)
 * with off + size within meta->size, checked on every call (cached offsets included), so a
 * garbage start word or meta page yields NULL or some bytes of that task's own page, never
 * another task's data and never memory outside the pinned page.
 *
 * Privilege: the cache keeps kernel addresses as tags in a map, which the verifier allows
 * with CAP_PERFMON (as any tracing or sched_ext program has); without it, loading fails with
 * "leaks addr into map".
 *
 * Include this header in one BPF object per program set: it defines tld_data_map and
 * tld_key_map. tld_data_map is declared exactly like tldd's (bpf/tld_maps.bpf.c), so a loader
 * can point it at tldd's pinned map with bpf_map__reuse_fd() or bpf_map__set_pin_path().
 */
#ifndef TLD_BPF_H
#define TLD_BPF_H

/* clang < 16 drops btf_type_tag on pointee types: tld_data_map's __uptr fields would lose their
 * tag and the kernel refuse the map, or the program, at load time. Say so at compile time. */
#if defined(__clang__) && __clang_major__ < 16
#error "tld.bpf.h needs clang >= 16 (clang-19 on Debian 12): older clang drops the __uptr type tags"
#endif

#include <bpf/bpf_helpers.h>
#include <tld/abi.h>

#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif

/* Task storage creation can fail transiently (lock contention); upstream retries too. */
#define TLD_KEY_MAP_CREATE_RETRY 3

/*
 * A cached key, one per member of struct tld_keys. Every field is valid only for the
 * registration named by the tags: @meta_tag is the kernel address of the meta page and
 * @value_tag the address of the tld_data_map entry when @off was computed. A new process image
 * (exec) or a re-registration (fork, tld_free() and a new block) replaces the entry and
 * usually the page, so either tag changes and the key is looked up again. Both addresses could
 * come back together (page and entry freed and reused by two re-registrations with no read in
 * between): the cached offset is then one of the old image's, and still bounds-checked.
 */
typedef struct {
	__u64 meta_tag;
	__u64 value_tag;
	/* > 0: the key's offset in a block plus 1.  < 0: -(cnt + 1), not among the first cnt
	 * keys, look again once meta->cnt changes.  0: nothing cached. */
	__s16 off;
	/* Zero bytes; puts the full uptr pointee structs into this object's BTF (see abi.h). */
	struct tld_btf_anchor anchor;
} tld_key_t;

/* Defined by the program, after this header: a tld_key_t member per key it reads. */
struct tld_keys;

struct tld_object {
	struct tld_map_value *data_map;
	struct tld_keys *key_map;
};

#include <tld/data_map.bpf.h>

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tld_keys);
} tld_key_map SEC(".maps");

/* A key name as 8-byte words, zero padded: compared a word at a time, not a byte. */
union tld_name {
	char c[TLD_NAME_LEN + 2];
	__u64 w[(TLD_NAME_LEN + 2) / 8];
};

/**
 * tld_object_init() - look up a task's task local data.
 * @task: the task whose data to read (a trusted task_struct pointer, e.g. from
 *	bpf_get_current_task_btf() or a tp_btf argument).
 * @obj: filled in on success; pass it to tld_get_data().
 *
 * Return: 0; -ENOENT if the task is not registered in tld_data_map; -ENOMEM if its
 * tld_key_map entry cannot be created.
 */
static __always_inline int tld_object_init(struct task_struct *task, struct tld_object *obj)
{
	int i;

	obj->key_map = NULL;
	obj->data_map = bpf_task_storage_get(&tld_data_map, task, 0, 0);
	if (!obj->data_map)
		return -ENOENT;
	for (i = 0; i < TLD_KEY_MAP_CREATE_RETRY; i++) {
		obj->key_map =
		        bpf_task_storage_get(&tld_key_map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (obj->key_map)
			return 0;
	}
	return -ENOMEM;
}

/**
 * tld_object_init_value() - tld_object_init_cache() with tld_data_map already looked up.
 * @obj: filled in on success; pass it to tld_get_data().
 * @value: the task's tld_data_map value as bpf_task_storage_get(&tld_data_map, task, 0, 0)
 *	returned it, NULL included.
 * @keys: the offset cache, as for tld_object_init_cache(), of the same task.
 *
 * For a program that looks tld_data_map up first anyway, to tell registered tasks from the
 * rest before it creates a context of its own: that lookup then serves the read too, and a
 * hint read costs no task storage lookup beyond the program's own (docs/performance.md).
 * Nothing is trusted that other paths do not trust: @value is kernel memory, the verifier
 * only lets its uptrs be followed if it is a task storage value, and tld_get_data() checks
 * the user pages behind them on every call.
 *
 * Return: 0; -ENOENT if @value is NULL.
 */
static __always_inline int tld_object_init_value(struct tld_object *obj,
                                                 struct tld_map_value *value, struct tld_keys *keys)
{
	obj->key_map = keys;
	obj->data_map = value;
	return value ? 0 : -ENOENT;
}

/**
 * tld_object_init_cache() - tld_object_init() with the offset cache in the caller's storage.
 * @task: the task whose data to read.
 * @obj: filled in on success; pass it to tld_get_data().
 * @keys: a struct tld_keys inside a map value the program already holds for @task, such as a
 *	member of a sched_ext scheduler's per-task context (itself task storage), zeroed when
 *	that value was created.
 *
 * Saves tld_object_init()'s second task storage lookup, which is most of what tld adds to a
 * hint read (docs/performance.md). @keys should belong to @task: tags make a cache of another
 * task miss every time, but never return wrong data.
 *
 * Return: 0; -ENOENT if the task is not registered in tld_data_map.
 */
static __always_inline int tld_object_init_cache(struct task_struct *task, struct tld_object *obj,
                                                 struct tld_keys *keys)
{
	return tld_object_init_value(obj, bpf_task_storage_get(&tld_data_map, task, 0, 0), keys);
}

/**
 * __tld_name_eq() - does a published name equal @name?
 * @m: the key's metadata in the meta page.
 * @name: the wanted name, zero padded to whole words.
 * @len: bytes of @name to compare including its NUL; a compile-time constant.
 *
 * Compares whole 8-byte words and masks the last one, so "prio" costs one compare. The NUL is
 * part of the compare: a name in the meta page without a terminator within @len never matches.
 * Unaligned 8-byte loads from the meta page are fine: the verifier enforces alignment only on
 * architectures without efficient unaligned access, and BPF on those is not a tld target.
 *
 * Return: true if the first @len bytes match.
 */
static __always_inline bool __tld_name_eq(const struct tld_metadata *m, const union tld_name *name,
                                          __u32 len)
{
	__u32 j;

#pragma clang loop unroll(full)
	for (j = 0; j < sizeof(name->w) / 8; j++) {
		__u64 mask = ~0ULL, word;
		__u32 left = len - 8 * j;

		if (8 * j >= len)
			break;
		if (left < 8) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			mask = (1ULL << (8 * left)) - 1;
#else
			mask = ~0ULL << (8 * (8 - left));
#endif
		}
		word = *(const __u64 *)(m->name + 8 * j);
		if ((word ^ name->w[j]) & mask)
			return false;
	}
	return true;
}

/**
 * __tld_fetch_key() - find a key in the meta page.
 * @meta: the task's meta page.
 * @name: the wanted name; @len: its bytes including the NUL.
 * @size: bytes the caller will access; a key smaller than that is not returned.
 *
 * Walks at most TLD_MAX_KEYS entries and stops at the first unpublished one (size 0, being
 * added right now): the offsets of the keys after it are not known yet. Offsets are the sum
 * of the 8-rounded sizes before the key; a sum past the page ends the walk.
 *
 * Return: the key's offset plus 1; or -(cnt + 1) if none of the cnt keys matches (the caller
 * caches that until meta->cnt changes); or 0: not found, do not cache.
 */
static __always_inline long __tld_fetch_key(struct tld_meta_u *meta, const union tld_name *name,
                                            __u32 len, __u32 size)
{
	__u32 raw_cnt = meta->cnt, cnt, i;
	__u64 off = 0;

	/* A garbage count scans every slot. No flag for it: two loop states cost the verifier. */
	cnt = raw_cnt < TLD_MAX_KEYS ? raw_cnt : TLD_MAX_KEYS;
#pragma clang loop unroll(disable)
	for (i = 0; i < TLD_MAX_KEYS; i++) {
		struct tld_metadata *m;
		__u16 ksize;

		if (i >= cnt)
			break;
		m = &meta->metadata[i];
		ksize = *(volatile __u16 *)&m->size;
		if (!ksize)
			return 0;
		/*
		 * size is published last (release): read the name after it. x86 keeps loads in
		 * order; elsewhere a name read early can only fail to match, which is safe.
		 */
		barrier();
		if (__tld_name_eq(m, name, len))
			return ksize >= size ? (long)off + 1 : 0;
		off += TLD_ROUND_UP((__u64)ksize);
		if (off >= TLD_PAGE_SIZE)
			return 0;
	}
	/* Only a plausible count fits the cache's negative range. */
	return raw_cnt <= TLD_MAX_KEYS ? -(long)(raw_cnt + 1) : 0;
}

/**
 * __tld_get_data() - the pointer behind tld_get_data().
 * @obj: initialised by tld_object_init().
 * @key_off: offset of the key's tld_key_t in struct tld_keys.
 * @name: the wanted name; @len: its bytes including the NUL.
 * @size: bytes the caller will access; a constant the verifier knows.
 *
 * Programs whose key name is only known at load time (a tool taking it as an option) may call
 * this directly with a union tld_name in .rodata or .data and its length; the name is only
 * compared, never used as a bound, so any bytes there are safe.
 *
 * The bounds are checked on every call, after the cache: a cached offset is only a hint that
 * spares the name compare. The final compare is on the very register added to the page
 * pointer (barrier_var), so the verifier knows [p, p + @size) is inside the page.
 *
 * Return: the task's data for the key, or NULL.
 */
static __always_inline void *__tld_get_data(struct tld_object *obj, __u64 key_off,
                                            const union tld_name *name, __u32 len, __u32 size)
{
	struct tld_map_value *value = obj->data_map;
	struct tld_keys *keys = obj->key_map;
	struct tld_meta_u *meta;
	struct tld_data_u *data;
	tld_key_t *key;
	__u64 off, start;
	long cached = 0;

	if (!value || !keys)
		return NULL;
	/* Keep clang from forming key before the NULL check: the verifier rejects that. */
	barrier_var(keys);
	key = (tld_key_t *)((char *)keys + key_off);
	meta = value->meta;
	data = value->data;
	if (!meta || !data)
		return NULL;

	if (key->meta_tag == (__u64)meta && key->value_tag == (__u64)value) {
		cached = key->off;
		if (cached < 0 && -cached - 1 == meta->cnt)
			return NULL;
	}
	if (cached <= 0) {
		/* off before the tags: a reader on another CPU that sees the new tags sees it. */
		key->off = __tld_fetch_key(meta, name, len, size);
		barrier();
		key->meta_tag = (__u64)meta;
		key->value_tag = (__u64)value;
		/*
		 * Read it back rather than keep the register: the verifier then sees one unknown
		 * offset here instead of one exact range per loop iteration that found the key,
		 * and prunes the rest of the program sooner (about 1.4k instead of 2.2k verified
		 * instructions a call site with alu32).
		 */
		cached = *(volatile __s16 *)&key->off;
		if (cached <= 0)
			return NULL;
	}

	off = cached - 1;
	if (off + size > meta->size)
		return NULL;
	/* The page's own word, as upstream reads it; libtld writes TLD_DATA_START. */
	start = *(volatile __u64 *)&data->start;
	if (start >= TLD_PAGE_SIZE)
		return NULL;
	off += start;
	barrier_var(off);
	if (off > TLD_PAGE_SIZE - size)
		return NULL;
	return (char *)data + off;
}

/**
 * tld_get_data() - a pointer to the task's value of a key, or NULL.
 * @obj: a struct tld_object * set up by tld_object_init().
 * @key: the member of struct tld_keys that caches this key.
 * @name: the key's name, a string literal of at most TLD_NAME_LEN - 1 characters.
 * @size: bytes the program will read or write, a compile-time constant; the key must be at
 *	least that big.
 *
 * Return: a pointer p with [p, p + @size) inside the task's block and its page, or NULL if
 * the key does not exist (yet), is smaller than @size, or the task's pages are inconsistent.
 */
#define tld_get_data(obj, key, name, size)                                                         \
	({                                                                                         \
		_Static_assert(sizeof(name) > 1 && sizeof(name) <= TLD_NAME_LEN,                   \
		               "tld key name must be a literal of 1..61 characters");              \
		_Static_assert((size) > 0 && (size) <= TLD_PAGE_SIZE - 8,                          \
		               "tld_get_data size must be a constant within a page");              \
		static const union tld_name ___tld_name = {.c = name};                             \
		__tld_get_data((obj), __builtin_offsetof(struct tld_keys, key), &___tld_name,      \
		               sizeof(name), (size));                                              \
	})

#endif /* TLD_BPF_H */
