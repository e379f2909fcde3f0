// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tld_exec: drops a task's tld_data_map entry when it execs. The kernel keeps task storage
 * across exec, so without this the new image (a setuid one, say) would run with hints, and
 * pinned pages, chosen by the image before it, whether or not the old image ran the preload's
 * exec wrapper (issue 10, item 7). tldd attaches it once, against the pinned map, and pins the
 * link next to the map (loader/tldd/exec_hook.cpp), so it outlives tldd like the registrations do.
 *
 * sched_process_exec fires after the point of no return of a successful exec, in the task
 * that exec'd (the only one of its process left): a failed exec keeps its entry. The other
 * threads of the process died in exec and took their entries with them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <tld/abi.h>
#include <tld/data_map.bpf.h>

/* Forces full definitions of the uptr pointees into BTF (see tld_btf_anchor in abi.h). */
const volatile struct {
	__u32 abi_version;
	struct tld_btf_anchor anchor;
} tld_exec_abi = {.abi_version = TLD_ABI_VERSION};

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tld_exec_drop, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	/* -ENOENT for every task that has no entry: the common case, one storage lookup. */
	bpf_task_storage_delete(&tld_data_map, p);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
