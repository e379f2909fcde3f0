// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "listener.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

namespace tld::tldd {

namespace {

constexpr int kFirstActivatedFd = 3; // SD_LISTEN_FDS_START

// systemd passes fds 3.. and names the receiving pid, so a child that inherited the
// environment does not take them for its own.
Result<Fd> activated_socket()
{
	const char *pid = getenv("LISTEN_PID");
	const char *fds = getenv("LISTEN_FDS");
	if (!pid || !fds || strtol(pid, nullptr, 10) != getpid())
		return Fd();
	long n = strtol(fds, nullptr, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n != 1) {
		LOG_E("socket activation passed %ld fds; tldd takes exactly one", n);
		return Error{EINVAL, "LISTEN_FDS"};
	}
	int fd = kFirstActivatedFd;
	int type = 0, domain = 0, listening = 0;
	socklen_t len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
	if (domain != AF_UNIX || type != SOCK_SEQPACKET || !listening) {
		LOG_E("activated fd 3 is not a listening AF_UNIX SOCK_SEQPACKET socket "
		      "(ListenSequentialPacket= in the .socket unit)");
		return Error{EINVAL, "activated socket"};
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		return error_from_errno("fcntl(activated socket)", errno);
	return Fd(fd);
}

// Unlinks a leftover socket of a previous run, but never a file that is not a socket, and
// never the socket of a tldd that is still serving.
Result<void> clear_stale(const sockaddr_un &addr)
{
	struct stat st;
	if (lstat(addr.sun_path, &st) != 0)
		return errno == ENOENT ? Result<void>() : error_from_errno("lstat socket", errno);
	if (!S_ISSOCK(st.st_mode)) {
		LOG_E("%s exists and is not a socket; not touching it", addr.sun_path);
		return Error{EEXIST, "socket path"};
	}
	Fd probe(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (probe &&
	    connect(probe.get(), reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)) == 0) {
		LOG_E("another tldd is serving %s", addr.sun_path);
		return Error{EADDRINUSE, "socket path"};
	}
	if (unlink(addr.sun_path) != 0 && errno != ENOENT)
		return error_from_errno("unlink stale socket", errno);
	return {};
}

} // namespace

Result<Listener> open_listener(const ListenSettings &s)
{
	Listener l;
	auto act = activated_socket();
	if (!act)
		return act.error();
	if (act->valid()) {
		l.fd = std::move(act.value());
		l.activated = true;
		return l;
	}

	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	if (s.path.size() >= sizeof(addr.sun_path))
		return Error{ENAMETOOLONG, "socket path"};
	memcpy(addr.sun_path, s.path.c_str(), s.path.size() + 1);
	// Outside systemd nobody made RuntimeDirectory=tld for us.
	std::string dir = s.path.substr(0, s.path.find_last_of('/'));
	if (!dir.empty() && mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
		return error_from_errno("mkdir socket directory", errno);
	if (auto r = clear_stale(addr); !r)
		return r.error();

	l.fd.reset(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (!l.fd)
		return error_from_errno("socket", errno);
	// The umask (077, set in main) makes the socket private until chmod opens it: nobody
	// connects in between with more rights than configured.
	if (bind(l.fd.get(), reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)) != 0)
		return error_from_errno("bind", errno);
	if ((s.set_group && chown(s.path.c_str(), -1, s.gid) != 0) ||
	    chmod(s.path.c_str(), s.mode) != 0) {
		int err = errno;
		unlink(s.path.c_str());
		return error_from_errno("chmod/chown socket", err);
	}
	if (listen(l.fd.get(), SOMAXCONN) != 0)
		return error_from_errno("listen", errno);
	return l;
}

void remove_socket_path(const std::string &path)
{
	struct stat st;
	if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path.c_str());
}

} // namespace tld::tldd
