// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Kernel interfaces newer than the Debian 6.1 userspace headers: thread pidfds (6.9),
// PIDFD_GET_INFO (6.13), SO_PEERPIDFD (6.5). Defined here only when the headers lack them.
#pragma once

#include <fcntl.h>
#include <linux/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
// A pidfd for one thread rather than a thread group; shows up as O_EXCL in F_GETFL.
#define PIDFD_THREAD O_EXCL
#endif

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

// Linux 6.16: a socket that refuses SCM_RIGHTS (the sender's sendmsg fails with EPERM);
// accepted sockets inherit it from the listener.
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif

#ifndef PIDFD_GET_INFO
// The first 64 bytes (PIDFD_INFO_SIZE_VER0) of the kernel's struct; the kernel accepts any
// size from VER0 up and fills what both sides know.
struct pidfd_info {
	__u64 mask;
	__u64 cgroupid;
	__u32 pid;
	__u32 tgid;
	__u32 ppid;
	__u32 ruid;
	__u32 rgid;
	__u32 euid;
	__u32 egid;
	__u32 suid;
	__u32 sgid;
	__u32 fsuid;
	__u32 fsgid;
	__s32 exit_code;
};
static_assert(sizeof(struct pidfd_info) == 64, "PIDFD_INFO_SIZE_VER0");
#define PIDFD_INFO_PID    (1UL << 0)
#define PIDFD_INFO_CREDS  (1UL << 1)
#define PIDFS_IOCTL_MAGIC 0xFF
#define PIDFD_GET_INFO    _IOWR(PIDFS_IOCTL_MAGIC, 11, struct pidfd_info)
#endif

namespace tld::sys {

inline int pidfd_open(pid_t pid, unsigned int flags)
{
	return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

} // namespace tld::sys
