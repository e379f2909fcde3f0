// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The thread's state is in initial-exec TLS: no allocation and no lock on the tld_get_data()
// path, and usable from a preloaded library. Exit is caught by a pthread key destructor, which
// runs on return from the start routine, pthread_exit() and cancellation alike.
#include "thread.h"

#include <atomic>
#include <cerrno>
#include <pthread.h>
#include <sched.h>

#include "direct.h"
#include "keys.h"
#include "sys/syscalls.h"

namespace tld::thread {
namespace {

struct State {
	arena::Block block;
	pid_t tid = 0;   // owner; differs from gettid() in a vfork child sharing our TLS
	int map_fd = -1; // direct registration through this map, or -1: the backend
	bool registered = false;
	bool via_backend = false; // the backend was asked to register it
};

thread_local State t_state __attribute__((tls_model("initial-exec")));

std::atomic<const Backend *> g_backend{nullptr};
enum Setup : int { kNotSet, kSetting, kSet };
std::atomic<int> g_setup{kNotSet};
pthread_key_t g_exit_key;
bool g_have_key = false;

void on_exit(void *)
{
	release_exiting();
}

void on_fork_child()
{
	after_fork_child();
}

void setup_once()
{
	g_have_key = pthread_key_create(&g_exit_key, on_exit) == 0;
	pthread_atfork(nullptr, nullptr, on_fork_child);
}

// pthread_once() would do, but it wakes a futex each time it completes: a syscall more in
// every process start.
void setup()
{
	if (g_setup.load(std::memory_order_acquire) == kSet)
		return;
	int expected = kNotSet;
	if (g_setup.compare_exchange_strong(expected, kSetting, std::memory_order_acq_rel)) {
		setup_once();
		g_setup.store(kSet, std::memory_order_release);
		return;
	}
	while (g_setup.load(std::memory_order_acquire) != kSet)
		sched_yield(); // another thread is between two libc calls: a few instructions away
}

bool owned_by_caller(const State &s)
{
	return s.block && s.tid == sys::gettid();
}

} // namespace

void set_backend(const Backend *backend)
{
	g_backend.store(backend, std::memory_order_release);
}

const arena::Block *block(int *err)
{
	State &s = t_state;
	if (s.block) {
		if (s.tid == sys::gettid())
			return &s.block;
		// A vfork child runs on its parent's TLS: it must not touch the parent's block.
		*err = -EPERM;
		return nullptr;
	}
	setup();
	if (int e = arena::alloc(&s.block); e < 0) {
		*err = e;
		return nullptr;
	}
	s.tid = sys::gettid();
	s.registered = false;
	if (g_have_key)
		pthread_setspecific(g_exit_key, &s);
	return &s.block;
}

// Registers `s`, which the caller owns.
static int register_owned(State &s, int map_fd)
{
	if (s.registered)
		return 0;
	int err;
	if (map_fd >= 0) {
		err = direct::register_thread(map_fd, s.tid, s.block);
	} else if (const Backend *b = g_backend.load(std::memory_order_acquire)) {
		s.via_backend = true;
		err = b->register_thread(s.tid, s.block);
	} else {
		err = -ENOTCONN; // no backend: not under libtldpreload.so, or it is inactive
	}
	if (err == 0) {
		s.registered = true;
		s.map_fd = map_fd;
	}
	return err;
}

int register_self(int map_fd)
{
	State &s = t_state;
	if (!owned_by_caller(s))
		return -EINVAL;
	return register_owned(s, map_fd);
}

int register_own_block(int map_fd)
{
	State &s = t_state;
	return s.block ? register_owned(s, map_fd) : -EINVAL;
}

pid_t owner_tid()
{
	return t_state.tid;
}

bool registered()
{
	return t_state.registered;
}

// Removes the registration through the path that made it: the direct delete, or the backend
// (with `wait`, returning only once it is gone). Returns 0 or -errno.
static int drop_registration(State &s, bool wait)
{
	if (s.registered && s.map_fd >= 0)
		return direct::unregister_thread(s.map_fd, s.tid);
	if (s.via_backend)
		if (const Backend *b = g_backend.load(std::memory_order_acquire))
			return b->unregister_thread(s.tid, s.block, wait);
	return 0;
}

int unregister_self()
{
	State &s = t_state;
	if (!owned_by_caller(s))
		return 0;
	int err = drop_registration(s, true);
	if (err == 0)
		s.registered = s.via_backend = false;
	return err;
}

void release_self()
{
	State &s = t_state;
	if (!owned_by_caller(s))
		return;
	bool direct_path = s.registered && s.map_fd >= 0;
	// If the direct delete fails the registration may be alive: keep the block out of
	// circulation rather than hand BPF-visible memory to another thread. (The backend answers
	// later, if at all; its blocks are covered by the quarantine.)
	if (drop_registration(s, false) < 0 && direct_path) {
		s = State{};
		return;
	}
	arena::release(s.block, s.tid);
	s = State{};
	if (g_have_key)
		pthread_setspecific(g_exit_key, nullptr);
}

void release_exiting()
{
	State &s = t_state;
	// No gettid() check: only the exiting thread itself runs its key destructors, never a
	// vfork child borrowing its TLS.
	if (!s.block)
		return;
	if (s.via_backend)
		if (const Backend *b = g_backend.load(std::memory_order_acquire); b && b->exiting)
			b->exiting(s.tid, s.block);
	arena::release(s.block, s.tid);
	s = State{};
}

void after_fork_child()
{
	// The child's only thread is the one that forked: its TLS is ours, under a new tid.
	State &s = t_state;
	bool had = static_cast<bool>(s.block);
	arena::after_fork_child(had ? &s.block : nullptr);
	if (!had)
		return;
	bool was_registered = s.registered || s.via_backend;
	s.tid = sys::gettid();
	s.registered = s.via_backend = false;
	if (was_registered)
		(void)register_self(s.map_fd);
}

} // namespace tld::thread
