// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Empty programs on the tracepoints tldctl top uses: what BPF_ENABLE_STATS reports for a
 * program that does nothing is the cost of the statistics themselves (two clock reads per
 * run), which tldctl_top_overhead subtracts to give the net cost of top's programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(baseline_switch)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(baseline_wakeup)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
