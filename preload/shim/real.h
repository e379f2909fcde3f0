// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The functions the preload wraps, resolved with dlsym(RTLD_NEXT) on first use so that a
// wrapper called before our constructor (from another library's constructor) still works.
#pragma once

#include <pthread.h>
#include <sys/types.h>

// Marks our wrapper of one of these: exported under libc's name, so it wins the lookup.
#define TLD_EXPORT extern "C" __attribute__((visibility("default")))

namespace tld::shim::real {

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int pthread_setname_np(pthread_t thread, const char *name);
int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int execve(const char *path, char *const argv[], char *const envp[]);
int execv(const char *path, char *const argv[]);
int execvp(const char *file, char *const argv[]);
int execvpe(const char *file, char *const argv[], char *const envp[]);
int fexecve(int fd, char *const argv[], char *const envp[]);
int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);

} // namespace tld::shim::real
