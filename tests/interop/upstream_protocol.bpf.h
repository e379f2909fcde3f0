/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Upstream's consumer protocol for task local data, written from its description (issue 13),
 * nothing of tld's included: the layout as upstream declares it and the lookup as upstream's
 * task_local_data.bpf.h does it.
 *
 *   - tld_data_map: task storage, value {data, meta}, 16 bytes;
 *   - a thread's block start is the u64 at offset 0 of the page `data` points to;
 *   - offsets are int: a key's offset is start + the 8-rounded sizes of the keys before it;
 *   - a cached offset > 0 is used as is; <= 0 means not found yet, -cnt caching how many
 *     keys were already compared, so the next lookup starts there;
 *   - names are compared over the 62 bytes of the meta page's name field (bpf_strncmp);
 *   - the one bound: off < PAGE_SIZE - size.
 *
 * Used by tests/interop/upstream_reader.bpf.c and bench/bench_read.bpf.c. The includer
 * provides the maps.
 */
#ifndef TLD_TEST_UPSTREAM_PROTOCOL_BPF_H
#define TLD_TEST_UPSTREAM_PROTOCOL_BPF_H

#include "interop_record.h"

#define UP_PAGE_SIZE 4096
#define UP_NAME_LEN  62
#define UP_MAX_CNT   63
#define UP_ROUND8(x) (((x) + 7) & ~7)
#ifndef __uptr
#define __uptr __attribute__((btf_type_tag("uptr")))
#endif

struct up_metadata {
	char name[UP_NAME_LEN];
	__u16 size;
};

struct up_meta_u {
	__u16 cnt;
	__u16 size;
	struct up_metadata metadata[UP_MAX_CNT];
};

struct up_data_u {
	__u64 start;
	char data[UP_PAGE_SIZE - 8];
};

struct up_map_value {
	struct up_data_u __uptr *data;
	struct up_meta_u __uptr *meta;
};

typedef struct {
	int off;
} up_key_t;

struct up_keys {
	up_key_t key[INTEROP_KEYS];
};

struct up_object {
	struct up_map_value *data_map;
	struct up_keys *key_map;
};

static __always_inline int up_fetch_key(struct up_object *obj, const char *name, int i_start)
{
	struct up_metadata *metadata;
	int i, cnt, start, off = 0;

	if (!obj->data_map || !obj->data_map->data || !obj->data_map->meta)
		return 0;
	start = obj->data_map->data->start;
	cnt = obj->data_map->meta->cnt;
	metadata = obj->data_map->meta->metadata;
#pragma clang loop unroll(disable)
	for (i = 0; i < UP_MAX_CNT; i++) {
		__u16 size;

		if (i >= cnt)
			break;
		size = metadata[i].size;
		if (i >= i_start && !bpf_strncmp(metadata[i].name, UP_NAME_LEN, name))
			return start + off;
		off += UP_ROUND8(size);
	}
	return -cnt;
}

static __always_inline void *up_get_data(struct up_object *obj, int k, const char *name, int size,
                                         __u32 *off_out)
{
	struct up_data_u *data;
	int off;

	if (!obj->key_map || !obj->data_map || !(data = obj->data_map->data))
		return NULL;
	off = obj->key_map->key[k].off;
	if (off <= 0) {
		off = up_fetch_key(obj, name, -off);
		obj->key_map->key[k].off = off;
		if (off <= 0)
			return NULL;
	}
	if (off < UP_PAGE_SIZE - size) {
		*off_out = off;
		return (char *)data + off;
	}
	return NULL;
}

#endif
