// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <unistd.h>

extern char **environ;

namespace tld::shim {
namespace {

std::atomic<bool> g_warned{false};
std::atomic<bool> g_quiet{false};

void vprint(const char *fmt, va_list ap)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "tld: ");
	int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (m < 0)
		return;
	std::size_t len = std::strlen(buf);
	buf[len++] = '\n';
	ssize_t r = write(STDERR_FILENO, buf, len);
	(void)r;
}

bool debugging()
{
	const char *v = env("TLD_DEBUG");
	return v && v[0] == '1';
}

} // namespace

void set_quiet(bool quiet)
{
	g_quiet.store(quiet, std::memory_order_relaxed);
}

void warn_once(const char *fmt, ...)
{
	bool debug_on = debugging();
	if (!debug_on && (g_quiet.load(std::memory_order_relaxed) || g_warned.exchange(true)))
		return;
	va_list ap;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void debug(const char *fmt, ...)
{
	if (!debugging())
		return;
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
