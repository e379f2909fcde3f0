// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "log.h"

#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

namespace tld::shim {
namespace {

std::atomic<bool> g_warned{false};
std::atomic<bool> g_quiet{false};

// "tld: <message>" into buf; returns its length without a newline, or -1.
int format(char *buf, std::size_t size, const char *fmt, va_list ap)
{
	int n = snprintf(buf, size, "tld: ");
	if (vsnprintf(buf + n, size - n - 1, fmt, ap) < 0)
		return -1;
	return static_cast<int>(std::strlen(buf));
}

void vprint(const char *fmt, va_list ap)
{
	char buf[512];
	int len = format(buf, sizeof(buf) - 1, fmt, ap);
	if (len < 0)
		return;
	buf[len++] = '\n';
	ssize_t r = write(STDERR_FILENO, buf, static_cast<std::size_t>(len));
	(void)r;
}

// Read once: a new thread asks three times, and each scan of the environment (a strncmp per
// variable) cost more than the rest of the thread's start.
bool debugging()
{
	static std::atomic<int> cached{-1};
	int on = cached.load(std::memory_order_relaxed);
	if (on < 0) {
		const char *v = env("TLD_DEBUG");
		on = v && v[0] == '1';
		cached.store(on, std::memory_order_relaxed);
	}
	return on;
}

// Whether this uid was already told about `cause` since boot: a stamp file per uid and
// cause on tmpfs (/dev/shm is empty after a boot), made with O_EXCL so exactly one process
// of many racing ones wins. Without the directory every process may speak (once each).
bool first_for_uid(const char *cause)
{
	std::uint32_t hash = 2166136261u; // FNV-1a of the format string: the cause, not the pid
	for (const char *c = cause; *c; c++)
		hash = (hash ^ static_cast<unsigned char>(*c)) * 16777619u;
	const char *dir = env("TLD_LOG_STAMPS");
	char path[256];
	snprintf(path, sizeof(path), "%s/tld-warned-%u-%08x", dir && *dir ? dir : "/dev/shm",
	         static_cast<unsigned>(getuid()), hash);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != EEXIST;
}

// One datagram to the system log (/dev/log, the journal's or syslogd's socket), LOG_USER |
// LOG_WARNING. Not syslog(3): that keeps a socket open in the program. Never blocks; the
// socket lives for this call only.
void to_syslog(const char *fmt, va_list ap)
{
	char msg[512];
	int len = format(msg, sizeof(msg), fmt, ap);
	if (len < 0)
		return;
	char buf[600];
	int n = snprintf(buf, sizeof(buf), "<12>tld[%d]: uid %u: %s", static_cast<int>(getpid()),
	                 static_cast<unsigned>(getuid()), msg + 5);
	const char *path = env("TLD_LOG_SOCKET");
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path && *path ? path : "/dev/log");
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return;
	(void)sendto(s, buf, static_cast<std::size_t>(n < 0 ? 0 : n), MSG_DONTWAIT | MSG_NOSIGNAL,
	             reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
	close(s);
}

} // namespace

void set_quiet(bool quiet)
{
	g_quiet.store(quiet, std::memory_order_relaxed);
}

void warn_once(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (debugging()) {
		vprint(fmt, ap); // asked for: on the program's stderr, every time
	} else if (!g_quiet.load(std::memory_order_relaxed) && !g_warned.exchange(true) &&
	           first_for_uid(fmt)) {
		to_syslog(fmt, ap); // never on the program's stdout or stderr
	}
	va_end(ap);
}

void program_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

bool debug_enabled()
{
	return debugging();
}

void debug(const char *fmt, ...)
{
	// One line per decision, but a program starting threads in a loop must not drown its
	// own stderr: a bound per process, then one line that says so.
	constexpr unsigned kMaxLines = 256;
	static std::atomic<unsigned> lines{0};
	if (!debugging())
		return;
	unsigned n = lines.fetch_add(1, std::memory_order_relaxed);
	if (n > kMaxLines)
		return;
	if (n == kMaxLines) {
		ssize_t r = write(STDERR_FILENO, "tld: more debug lines suppressed\n", 33);
		(void)r;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

const char *env(const char *name)
{
	std::size_t len = std::strlen(name);
	for (char **e = environ; e && *e; e++)
		if (std::strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return nullptr;
}

} // namespace tld::shim
