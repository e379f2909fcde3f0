// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// exec: task storage belongs to the task, not to the program image. On tldd's path the kernel
// side does the work: tldd's exec hook (bpf/tld_exec.bpf.c) deletes the entry of a task that
// exec'd, so before exec only the board is emptied (memory stores): every other thread dies in
// exec, and a late tldd scan must not register the old image's blocks to the tid the new image
// keeps. On the direct path (no tldd, maybe no hook) the calling thread's registration is
// deleted with one map update; if that fails its hints are scrubbed instead. If exec fails,
// everything is restored. A vfork child shares our memory and TLS but is another task with no
// registration: it is left alone.
#include <alloca.h>
#include <atomic>
#include <cstdarg>
#include <cstring>
#include <sched.h>
#include <unistd.h>

#include <tld/abi.h>

#include "backend.h"
#include "libtld/arena.h"
#include "libtld/thread.h"
#include "real.h"
#include "registry.h"
#include "runtime.h"
#include "sys/syscalls.h"

namespace {

struct Saved {
	bool hooked = false; // tldd's exec hook covers it: nothing was removed
	bool unregistered = false;
	bool scrubbed = false;
	std::uint16_t cnt = 0;
	alignas(8) unsigned char block[TLD_PAGE_SIZE];
};

// Only one exec can succeed per process; a static buffer keeps the stack small. Concurrent
// failing execs from two threads would share it, so serialise them.
Saved g_saved;
std::atomic<bool> g_exec_lock{false};

bool owns_thread(const tld::shim::ThreadRec &rec)
{
	return tld::shim::active() && rec.block && rec.tid == tld::sys::gettid();
}

void before_exec()
{
	tld::shim::ThreadRec &rec = tld::shim::self_record();
	if (!owns_thread(rec))
		return;
	while (g_exec_lock.exchange(true, std::memory_order_acquire))
		sched_yield();
	// The flags only: clearing the whole page buffer would write (and, in a fork child about
	// to exec, copy) two pages for nothing; `block` is read only after it is filled.
	g_saved.hooked = g_saved.unregistered = g_saved.scrubbed = false;
	g_saved.cnt = 0;
	if (tld::shim::backend_before_exec()) {
		g_saved.hooked = true;
		return;
	}
	if (tld::thread::unregister_self() == 0) {
		g_saved.unregistered = true;
		return;
	}
	// Could not remove it (tldd down, map gone): leave BPF nothing to read instead.
	tld_meta_u *meta = tld::arena::meta();
	std::uint16_t size = meta ? meta->size : 0;
	if (!meta || size > TLD_PAGE_SIZE)
		return;
	g_saved.scrubbed = true;
	g_saved.cnt = meta->cnt;
	std::memcpy(g_saved.block, rec.block.data(), size);
	std::atomic_ref<std::uint16_t>(meta->cnt).store(0, std::memory_order_release);
	std::memset(rec.block.data(), 0, size);
}

void after_failed_exec()
{
	tld::shim::ThreadRec &rec = tld::shim::self_record();
	if (!owns_thread(rec))
		return;
	if (g_saved.scrubbed) {
		tld_meta_u *meta = tld::arena::meta();
		std::memcpy(rec.block.data(), g_saved.block, meta->size);
		std::atomic_ref<std::uint16_t>(meta->cnt).store(g_saved.cnt,
		                                                std::memory_order_release);
	}
	if (g_saved.unregistered)
		(void)tld::thread::register_self(-1);
	tld::shim::backend_after_failed_exec();
	g_exec_lock.store(false, std::memory_order_release);
}

// execl-style argument lists, collected into an argv on the stack.
#define TLD_COLLECT_ARGS(first, argv, ap, then_envp)                                               \
	std::size_t argc = 1;                                                                      \
	va_start(ap, first);                                                                       \
	while (va_arg(ap, char *))                                                                 \
		argc++;                                                                            \
	va_end(ap);                                                                                \
	char **argv = static_cast<char **>(alloca((argc + 1) * sizeof(char *)));                   \
	argv[0] = const_cast<char *>(first);                                                       \
	va_start(ap, first);                                                                       \
	for (std::size_t i = 1; i <= argc; i++)                                                    \
		argv[i] = va_arg(ap, char *);                                                      \
	then_envp;                                                                                 \
	va_end(ap)

} // namespace

#define TLD_EXEC_WRAP(call)                                                                        \
	before_exec();                                                                             \
	int ret = call;                                                                            \
	after_failed_exec();                                                                       \
	return ret

TLD_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	TLD_EXEC_WRAP(tld::shim::real::execve(path, argv, envp));
}

TLD_EXPORT int execv(const char *path, char *const argv[])
{
	TLD_EXEC_WRAP(tld::shim::real::execv(path, argv));
}

TLD_EXPORT int execvp(const char *file, char *const argv[])
{
	TLD_EXEC_WRAP(tld::shim::real::execvp(file, argv));
}

TLD_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	TLD_EXEC_WRAP(tld::shim::real::execvpe(file, argv, envp));
}

TLD_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	TLD_EXEC_WRAP(tld::shim::real::fexecve(fd, argv, envp));
}

TLD_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                        int flags)
{
	TLD_EXEC_WRAP(tld::shim::real::execveat(dirfd, path, argv, envp, flags));
}

TLD_EXPORT int execl(const char *path, const char *arg0, ...)
{
	va_list ap;
	TLD_COLLECT_ARGS(arg0, argv, ap, (void)0);
	return execv(path, argv);
}

TLD_EXPORT int execlp(const char *file, const char *arg0, ...)
{
	va_list ap;
	TLD_COLLECT_ARGS(arg0, argv, ap, (void)0);
	return execvp(file, argv);
}

TLD_EXPORT int execle(const char *path, const char *arg0, ...)
{
	va_list ap;
	char **envp = nullptr;
	TLD_COLLECT_ARGS(arg0, argv, ap, envp = va_arg(ap, char **));
	return execve(path, argv, envp);
}
