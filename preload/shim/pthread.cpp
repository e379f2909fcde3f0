// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// pthread_create: a trampoline sets the thread up in the new thread itself, so the creating
// thread is not held up by registration. Exit needs no wrapper: libtld's key destructor runs
// on return, pthread_exit() and cancellation alike. Renames re-apply name-based rules.
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <dlfcn.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "hints.h"
#include "real.h"
#include "registry.h"
#include "runtime.h"

namespace {

// How pthread_create hands the start routine to the trampoline: a slot of our own, so that the
// new thread frees nothing. A thread's first free() attaches it to a malloc arena and builds a
// tcache that its exit tears down again: more than an empty thread costs by itself. malloc()
// is the fallback when all slots are in flight.
struct Start {
	void *(*fn)(void *);
	void *arg;
	std::atomic<bool> taken; // only for slots of g_starts
};

constexpr unsigned kStartSlots = 64;
struct alignas(64) StartSlot {
	Start start;
};
StartSlot g_starts[kStartSlots];
std::atomic<unsigned> g_next_start{0};

bool pooled(const Start *s)
{
	auto *p = reinterpret_cast<const StartSlot *>(s);
	return p >= g_starts && p < g_starts + kStartSlots;
}

Start *take_start()
{
	unsigned first = g_next_start.fetch_add(1, std::memory_order_relaxed);
	for (unsigned i = 0; i < kStartSlots; i++) {
		Start &s = g_starts[(first + i) % kStartSlots].start;
		if (!s.taken.load(std::memory_order_relaxed) &&
		    !s.taken.exchange(true, std::memory_order_acquire))
			return &s;
	}
	return static_cast<Start *>(std::malloc(sizeof(Start)));
}

void give_back(Start *s)
{
	if (pooled(s))
		s->taken.store(false, std::memory_order_release);
	else
		std::free(s);
}

void *trampoline(void *p)
{
	auto *handed = static_cast<Start *>(p);
	void *(*fn)(void *) = handed->fn;
	void *arg = handed->arg;
	give_back(handed);
	tld::shim::thread_begin(reinterpret_cast<void *>(fn));
	return fn(arg);
}

void apply_named(tld::shim::ThreadRec &rec, void *name)
{
	tld::shim::hints_apply(rec, static_cast<const char *>(name));
}

} // namespace

TLD_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *),
                              void *arg)
{
	tld::shim::start_early();
	if (!tld::shim::active())
		return tld::shim::real::pthread_create(thread, attr, fn, arg);
	tld::shim::check_process();
	Start *start = take_start();
	if (!start)
		return tld::shim::real::pthread_create(thread, attr, fn, arg);
	start->fn = fn;
	start->arg = arg;
	int err = tld::shim::real::pthread_create(thread, attr, trampoline, start);
	if (err)
		give_back(start);
	return err;
}

void tld::shim::start_slots_after_fork_child()
{
	// Slots in flight belonged to pthread_create calls of the parent's other threads: their
	// threads do not exist here.
	for (StartSlot &slot : g_starts)
		slot.start.taken.store(false, std::memory_order_relaxed);
}

TLD_EXPORT int pthread_setname_np(pthread_t thread, const char *name)
{
	int err = tld::shim::real::pthread_setname_np(thread, name);
	if (err || !tld::shim::hints_follow_names())
		return err;
	// A dormant process starts here, and its block gets the rules of the new name.
	if (tld::shim::wake() || !tld::shim::active())
		return err;
	if (pthread_equal(thread, pthread_self()))
		tld::shim::thread_renamed_self();
	else
		tld::shim::registry_with(thread, apply_named, const_cast<char *>(name));
	return err;
}

TLD_EXPORT int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long);
	unsigned long a3 = va_arg(ap, unsigned long);
	unsigned long a4 = va_arg(ap, unsigned long);
	unsigned long a5 = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_SECCOMP)
		tld::shim::deactivate_for_seccomp(); // before: the filter applies the moment it is
		                                     // set
	int ret = tld::shim::real::prctl(option, a2, a3, a4, a5);
	if (ret == 0 && option == PR_SET_NAME && tld::shim::hints_follow_names() &&
	    !tld::shim::wake() && tld::shim::active())
		tld::shim::thread_renamed_self();
	return ret;
}

namespace {
using SyscallFn = long (*)(long, ...);
std::atomic<SyscallFn> g_real_syscall{nullptr};
} // namespace

// syscall(): only to see seccomp(2) (libseccomp installs filters through it); everything else
// passes straight through with its six argument registers.
TLD_EXPORT long syscall(long number, ...)
{
	va_list ap;
	va_start(ap, number);
	long a[6];
	for (long &x : a)
		x = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_seccomp &&
	    (a[0] == SECCOMP_SET_MODE_FILTER || a[0] == SECCOMP_SET_MODE_STRICT))
		tld::shim::deactivate_for_seccomp();
	SyscallFn real = g_real_syscall.load(std::memory_order_acquire);
	if (!real) {
		real = reinterpret_cast<SyscallFn>(dlsym(RTLD_NEXT, "syscall"));
		g_real_syscall.store(real, std::memory_order_release);
	}
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
