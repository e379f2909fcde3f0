// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload's life cycle: whether it is active, and what happens as a thread starts.
#pragma once

namespace tld::shim {

// True once the constructor (or wake()) loaded the config and created the keys. Until then (and
// forever if anything failed) every wrapper passes straight through to the real function.
bool active();

// Runs the constructor's work now if it has not run yet (another library's constructor may
// start threads before the dynamic loader runs ours), then wake().
void start_early();

// A process the constructor left dormant (keys.conf `start = on_first_thread`) starts now: the
// arena and keys, the registration path and the calling thread's block, as the constructor
// does at exec. Once, thread-safe; returns whether this call did it. A process that is not
// dormant (started, failed, or under a seccomp filter set while dormant) is left as it is.
bool wake();

// The program is about to put itself under a seccomp filter: from now on every wrapper passes
// straight through and no syscall of the preload's own is made. A filter may kill the process
// for any call the program itself does not make (issue 14: prctl(PR_GET_NAME) in new threads
// died with SIGSYS under a default-KILL allowlist).
void deactivate_for_seccomp();

// In pthread_create: a child made by a raw clone() (no fork handlers ran) takes over its
// copy of the state as a fork child does.
void check_process();

// In a new thread (or the main thread), before the program's code runs there: take a block,
// write the configured values, list the thread and register it.
void thread_begin(void *start_routine);

// Child side of fork(): the pthread_create hand-off slots the parent's other threads had in
// flight are free (their new threads exist only in the parent).
void start_slots_after_fork_child();

// After the thread renamed itself or was renamed: re-apply rules that match on names.
void thread_renamed_self();

} // namespace tld::shim
