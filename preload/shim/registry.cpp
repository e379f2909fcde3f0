// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "registry.h"

#include <atomic>
#include <sched.h>

namespace tld::shim {
namespace {

thread_local ThreadRec t_rec __attribute__((tls_model("initial-exec")));

std::atomic<bool> g_lock{false};
ThreadRec *g_head = nullptr;

struct Locked {
	Locked()
	{
		while (g_lock.exchange(true, std::memory_order_acquire))
			sched_yield();
	}
	~Locked() { g_lock.store(false, std::memory_order_release); }
};

} // namespace

ThreadRec &self_record()
{
	return t_rec;
}

void registry_add(ThreadRec &rec)
{
	Locked l;
	if (rec.listed)
		return;
	rec.prev = nullptr;
	rec.next = g_head;
	if (g_head)
		g_head->prev = &rec;
	g_head = &rec;
	rec.listed = true;
}

void registry_remove(ThreadRec &rec)
{
	Locked l;
	if (!rec.listed)
		return;
	if (rec.prev)
		rec.prev->next = rec.next;
	else
		g_head = rec.next;
	if (rec.next)
		rec.next->prev = rec.prev;
	rec.prev = rec.next = nullptr;
	rec.listed = false;
}

void registry_for_each(void (*fn)(ThreadRec &, void *), void *ctx)
{
	Locked l;
	for (ThreadRec *r = g_head; r; r = r->next)
		fn(*r, ctx);
}

bool registry_with(pthread_t thread, void (*fn)(ThreadRec &, void *), void *ctx)
{
	Locked l;
	for (ThreadRec *r = g_head; r; r = r->next) {
		if (pthread_equal(r->self, thread)) {
			fn(*r, ctx);
			return true;
		}
	}
	return false;
}

void registry_after_fork_child()
{
	g_lock.store(false, std::memory_order_relaxed);
	g_head = nullptr;
	ThreadRec &rec = t_rec;
	bool was_listed = rec.listed;
	rec.listed = false;
	if (was_listed)
		registry_add(rec);
}

} // namespace tld::shim
