// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "notify.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sys/fd.h"

namespace tld::notify {

int send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	size_t len = strlen(path);
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path))
		return -EINVAL;
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	socklen_t alen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);

	Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!fd)
		return -errno;
	if (sendto(fd.get(), state, strlen(state), MSG_NOSIGNAL,
	           reinterpret_cast<sockaddr *>(&addr), alen) < 0)
		return -errno;
	return 0;
}

int reloading()
{
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char msg[64];
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	         static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL + ts.tv_nsec / 1000);
	return send(msg);
}

} // namespace tld::notify
