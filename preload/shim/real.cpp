// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "real.h"

#include <atomic>
#include <cerrno>
#include <dlfcn.h>

namespace tld::shim::real {
namespace {

// Resolves `name` once; concurrent first calls may both look it up, which is harmless.
template <typename Fn> Fn resolve(std::atomic<Fn> &slot, const char *name)
{
	Fn fn = slot.load(std::memory_order_acquire);
	if (!fn) {
		fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
		slot.store(fn, std::memory_order_release);
	}
	return fn;
}

#define TLD_REAL(name, ret, params, args)                                                          \
	ret name params                                                                            \
	{                                                                                          \
		using Fn = ret(*) params;                                                          \
		static std::atomic<Fn> slot{nullptr};                                              \
		Fn fn = resolve(slot, #name);                                                      \
		if (!fn) {                                                                         \
			errno = ENOSYS;                                                            \
			return -1;                                                                 \
		}                                                                                  \
		return fn args;                                                                    \
	}

} // namespace

// pthread functions return an error number rather than -1: keep that contract if unresolvable.
int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	using Fn = int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	static std::atomic<Fn> slot{nullptr};
	Fn real = resolve(slot, "pthread_create");
	return real ? real(thread, attr, fn, arg) : EAGAIN;
}

int pthread_setname_np(pthread_t thread, const char *name)
{
	using Fn = int (*)(pthread_t, const char *);
	static std::atomic<Fn> slot{nullptr};
	Fn real = resolve(slot, "pthread_setname_np");
	return real ? real(thread, name) : ENOSYS;
}

TLD_REAL(prctl, int,
         (int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5),
         (option, a2, a3, a4, a5))
TLD_REAL(execve, int, (const char *path, char *const argv[], char *const envp[]),
         (path, argv, envp))
TLD_REAL(execv, int, (const char *path, char *const argv[]), (path, argv))
TLD_REAL(execvp, int, (const char *file, char *const argv[]), (file, argv))
TLD_REAL(execvpe, int, (const char *file, char *const argv[], char *const envp[]),
         (file, argv, envp))
TLD_REAL(fexecve, int, (int fd, char *const argv[], char *const envp[]), (fd, argv, envp))
TLD_REAL(execveat, int,
         (int dirfd, const char *path, char *const argv[], char *const envp[], int flags),
         (dirfd, path, argv, envp, flags))

} // namespace tld::shim::real
