// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "log.h"

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace tld::log {

namespace {

std::atomic<int> max_level{static_cast<int>(Level::info)};
bool journal = false;
const char *prog = "tldd";

const char *const names[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};

// systemd sets JOURNAL_STREAM=<dev>:<ino> of the stream it connected stdout/stderr to; the
// prefix only makes sense if stderr is still that stream (not redirected by a wrapper).
bool stderr_is_journal()
{
	const char *js = getenv("JOURNAL_STREAM");
	if (!js)
		return false;
	unsigned long long dev = 0, ino = 0;
	if (sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	struct stat st;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

} // namespace

void init(const char *ident)
{
	prog = ident;
	journal = stderr_is_journal();
}

void set_level(Level max)
{
	max_level.store(static_cast<int>(max), std::memory_order_relaxed);
}
Level level()
{
	return static_cast<Level>(max_level.load(std::memory_order_relaxed));
}
bool enabled(Level l)
{
	return static_cast<int>(l) <= max_level.load(std::memory_order_relaxed);
}

void write(Level l, const char *fmt, ...)
{
	if (!enabled(l))
		return;
	int saved = errno;
	char line[1024];
	int pri = static_cast<int>(l);
	int n = journal ? snprintf(line, sizeof(line), "<%d>", pri)
	                : snprintf(line, sizeof(line), "%s: %s: ", prog, names[pri]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	size_t len = n + (m < 0 ? 0 : static_cast<size_t>(m));
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	// One write so concurrent lines never interleave; a failed log write has nowhere to go.
	ssize_t w = ::write(STDERR_FILENO, line, len);
	(void)w;
	errno = saved;
}

} // namespace tld::log
