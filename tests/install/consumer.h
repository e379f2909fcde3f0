/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What consumer.bpf.c reports to user space through the test-run context. Shared by the BPF
 * program and the three installed-package consumers (C with pkg-config, C++ with
 * find_package, the pin-reuse program).
 */
#ifndef TLD_INSTALL_CONSUMER_H
#define TLD_INSTALL_CONSUMER_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

/* The key every consumer creates; BPF finds it by this name. */
#define CONSUMER_KEY "install_test_answer"

struct consumer_args {
	__u64 value;    /* the key's value in the calling thread's block */
	__s32 init_err; /* tld_object_init(): 0, or -ENOENT when the thread is not registered */
	__s32 found;    /* 1 when tld_get_data() returned a pointer */
};

#endif /* TLD_INSTALL_CONSUMER_H */
