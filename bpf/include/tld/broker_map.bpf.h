/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tld_broker_map: tldd's own record of the threads it registered, pinned next to
 * tld_data_map. Kept out of tld_data_map so that map stays exactly upstream's (16-byte value);
 * consumers never need it. tldd adds a thread's entry when it registers the thread and deletes
 * it when it unregisters it; the kernel drops it with the task. Read by tldctl's dump iterator
 * for `tldctl list`'s PATH column.
 */
#ifndef TLD_BROKER_MAP_BPF_H
#define TLD_BROKER_MAP_BPF_H

#include <bpf/bpf_helpers.h>
#include <tld/abi.h>

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tld_broker_entry);
} tld_broker_map SEC(".maps");

#endif /* TLD_BROKER_MAP_BPF_H */
