// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Thin raw-syscall wrappers for what the Debian 12 userspace headers (Linux 6.1) lack or what
// must not go through interposable libc symbols. All return -errno on failure, never set errno.
#pragma once

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL // Linux 6.9
#endif

namespace tld::sys {

inline long ret(long r)
{
	return r < 0 ? -errno : r;
}

inline pid_t gettid()
{
	return static_cast<pid_t>(::syscall(SYS_gettid));
}
inline pid_t getpid()
{
	return static_cast<pid_t>(::syscall(SYS_getpid));
}

// tgkill(2); 0 or -errno. Signal 0 asks whether thread `tid` of process `tgid` exists.
inline int tgkill(pid_t tgid, pid_t tid, int sig)
{
	return ::syscall(SYS_tgkill, tgid, tid, sig) == 0 ? 0 : -errno;
}

// A pidfd for one thread (PIDFD_THREAD), close-on-exec.
inline int pidfd_open_thread(pid_t tid)
{
	return static_cast<int>(ret(::syscall(SYS_pidfd_open, tid, PIDFD_THREAD)));
}

// Runs `use(pidfd)` with a pidfd of thread `tid`, closed afterwards: how a thread is named to
// the task storage map and to tldd. Returns use's result, or -errno from pidfd_open.
template <typename Use> int with_thread_pidfd(pid_t tid, Use use)
{
	int pidfd = pidfd_open_thread(tid);
	if (pidfd < 0)
		return pidfd;
	int result = use(pidfd);
	::close(pidfd);
	return result;
}

inline int bpf(int cmd, union bpf_attr *attr)
{
	return static_cast<int>(ret(::syscall(SYS_bpf, cmd, attr, sizeof(*attr))));
}

inline int bpf_map_update(int map_fd, const void *key, const void *value, std::uint64_t flags)
{
	union bpf_attr attr = {};
	attr.map_fd = static_cast<std::uint32_t>(map_fd);
	attr.key = reinterpret_cast<std::uint64_t>(key);
	attr.value = reinterpret_cast<std::uint64_t>(value);
	attr.flags = flags;
	return bpf(BPF_MAP_UPDATE_ELEM, &attr);
}

inline int bpf_map_delete(int map_fd, const void *key)
{
	union bpf_attr attr = {};
	attr.map_fd = static_cast<std::uint32_t>(map_fd);
	attr.key = reinterpret_cast<std::uint64_t>(key);
	return bpf(BPF_MAP_DELETE_ELEM, &attr);
}

inline int bpf_map_lookup(int map_fd, const void *key, void *value)
{
	union bpf_attr attr = {};
	attr.map_fd = static_cast<std::uint32_t>(map_fd);
	attr.key = reinterpret_cast<std::uint64_t>(key);
	attr.value = reinterpret_cast<std::uint64_t>(value);
	return bpf(BPF_MAP_LOOKUP_ELEM, &attr);
}

// Opens a pinned BPF object; flags BPF_F_RDONLY/BPF_F_WRONLY or 0.
inline int bpf_obj_get(const char *path, std::uint32_t flags = 0)
{
	union bpf_attr attr = {};
	attr.pathname = reinterpret_cast<std::uint64_t>(path);
	attr.file_flags = flags;
	return bpf(BPF_OBJ_GET, &attr);
}

} // namespace tld::sys

namespace tld::sys {

// The kernel id of the BPF map behind `fd`, or -errno: tells whether an fd still is our map
// (programs that close every fd they did not open may have closed it, and the number reused).
inline long bpf_map_id(int fd)
{
	struct bpf_map_info info = {};
	union bpf_attr attr = {};
	attr.info.bpf_fd = static_cast<std::uint32_t>(fd);
	attr.info.info_len = sizeof(info);
	attr.info.info = reinterpret_cast<std::uint64_t>(&info);
	int err = bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
	return err < 0 ? err : static_cast<long>(info.id);
}

} // namespace tld::sys
