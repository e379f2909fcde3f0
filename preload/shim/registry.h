// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The threads of this process that carry hints, so that a late broker connection can register
// all of them and a rename of another thread can re-apply its rules. Records live in each
// thread's TLS; the list is guarded by a spinlock that a fork child simply resets.
#pragma once

#include <atomic>
#include <pthread.h>
#include <sys/types.h>

#include "libtld/arena.h"

namespace tld::shim {

struct ThreadRec {
	ThreadRec *prev = nullptr;
	ThreadRec *next = nullptr;
	pthread_t self{};
	pid_t tid = 0;
	arena::Block block;
	const char *start_symbol = nullptr; // from dladdr, static storage of the loaded object
	bool listed = false;
	std::atomic<bool> registered{false}; // by the backend, possibly on its behalf
};

// The calling thread's record (TLS).
ThreadRec &self_record();

void registry_add(ThreadRec &rec);
void registry_remove(ThreadRec &rec);

// Calls fn(rec, ctx) for every listed thread, under the registry lock: fn must not block.
void registry_for_each(void (*fn)(ThreadRec &, void *), void *ctx);

// Runs fn on the record of `thread`, if listed. Returns whether it was found.
bool registry_with(pthread_t thread, void (*fn)(ThreadRec &, void *), void *ctx);

// Child side of fork(): only the calling thread survives.
void registry_after_fork_child();

} // namespace tld::shim
