/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tld_data_map, declared exactly as tldd creates it (bpf/tld_maps.bpf.c includes this too), so
 * that any object including it can reuse tldd's pinned map with bpf_map__reuse_fd() or a pin
 * path: libbpf checks type, key and value size, and flags.
 */
#ifndef TLD_DATA_MAP_BPF_H
#define TLD_DATA_MAP_BPF_H

#include <bpf/bpf_helpers.h>
#include <tld/abi.h>

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tld_map_value);
} tld_data_map SEC(".maps");

#endif /* TLD_DATA_MAP_BPF_H */
