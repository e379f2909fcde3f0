// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "progs/owner.h"

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <string>
#include <sys/ioctl.h>

#include "sys/pidfd_compat.h"

namespace tld::ctl {

Result<uid_t> process_owner(int pidfd)
{
	pidfd_info info = {};
	info.mask = PIDFD_INFO_PID | PIDFD_INFO_CREDS;
	if (ioctl(pidfd, PIDFD_GET_INFO, &info))
		return error_from_errno("PIDFD_GET_INFO", errno);
	if (info.ruid != info.euid || info.ruid != info.suid)
		return kNoOwner;
	return static_cast<uid_t>(info.ruid);
}

std::vector<pid_t> process_threads(pid_t pid)
{
	std::vector<pid_t> tids;
	std::string dir = "/proc/" + std::to_string(pid) + "/task";
	DIR *d = opendir(dir.c_str());
	if (!d)
		return tids;
	while (dirent *e = readdir(d)) {
		char *end;
		long tid = strtol(e->d_name, &end, 10);
		if (*end == '\0' && tid > 0)
			tids.push_back(static_cast<pid_t>(tid));
	}
	closedir(d);
	return tids;
}

} // namespace tld::ctl
