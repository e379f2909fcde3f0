// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "tldd_client.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sys/fd.h"

namespace tld::ctl {

TlddView query_tldd(const std::string &socket_path)
{
	TlddView v;
	sockaddr_un addr = {};
	addr.sun_family = AF_UNIX;
	if (socket_path.size() >= sizeof(addr.sun_path)) {
		v.error = socket_path + ": path too long";
		return v;
	}
	memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
	Fd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
	if (!fd || connect(fd.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
		v.error = "cannot connect to " + socket_path + ": " + strerror(errno);
		return v;
	}
	v.up = true;
	return v;
}

} // namespace tld::ctl
