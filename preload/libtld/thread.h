// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Per-thread state: the thread's block and whether (and how) it is registered in tld_data_map.
#pragma once

#include <sys/types.h>

#include <tld/tld.h>

#include "arena.h"

namespace tld::thread {

// How a thread gets into tld_data_map when tld_get_data() is called with map_fd < 0.
// libtldpreload installs one (broker or direct); plain libtld users pass a map fd instead.
// Every hook runs in the thread concerned and returns 0 or -errno. unregister_thread is called
// for every thread that went through register_thread, successful or not; with `wait` it
// returns only once the registration is gone (before exec, the block is kept); without, the
// block is being released (tld_free()). exiting is called at thread exit, before the block goes
// back to the arena, for threads that went through register_thread; it must not block.
struct Backend {
	int (*register_thread)(pid_t tid, const arena::Block &block);
	int (*unregister_thread)(pid_t tid, const arena::Block &block, bool wait);
	void (*exiting)(pid_t tid, const arena::Block &block);
};

void set_backend(const Backend *backend);

// Called first in every tld_* call while set: libtldpreload.so starts a process it left dormant
// (keys.conf `start = on_first_thread`), so that the call finds the config's keys and a backend.
void set_api_hook(void (*hook)());

// The calling thread's block, allocated (not registered) on first use; nullptr on failure
// with *err set.
const arena::Block *block(int *err);

// The thread id block() recorded for the block's owner (0 without a block): the caller's own
// tid right after block() succeeded, without another gettid().
pid_t owner_tid();

// Registers the calling thread's block through map_fd (direct) or the backend (map_fd < 0).
int register_self(int map_fd);
// The same right after block() returned the block to this caller: block() has checked that the
// caller owns it (a vfork child borrowing the TLS gets EPERM there), so no second gettid().
int register_own_block(int map_fd);
bool registered();

// Drops the registration but keeps the block (before exec; register_self() again if exec
// fails). Returns 0 once the registration is gone, or -errno.
int unregister_self();

// Drops the registration and quarantines the block (tld_free()). Idempotent.
void release_self();

// The same at thread exit, without the unregister syscalls: the kernel drops an exiting task's
// storage itself, and an exited task is visible to no BPF program (it is off the pid hash and
// never scheduled again); the block's quarantine covers a program already reading it.
void release_exiting();

// Child side of fork(): the surviving thread keeps its block (at a private copy) and is
// re-registered through the same path as before.
void after_fork_child();

} // namespace tld::thread
