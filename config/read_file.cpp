// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// read_config_file() (declared in ini.h): plain syscalls, no streams, no exceptions. It runs in
// whatever program the preload is loaded into, so it must never block and never read without bound.
#include "config/no_exceptions.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/ini.h"

namespace tld::config {

namespace {

std::string errno_text(int err)
{
	char buf[128];
	// GNU strerror_r: returns a pointer to the text, in buf or static; thread-safe either way.
	return strerror_r(err, buf, sizeof(buf));
}

class FdGuard {
public:
	explicit FdGuard(int fd) : fd_(fd) {}
	~FdGuard() { close(fd_); }
	FdGuard(const FdGuard &) = delete;
	FdGuard &operator=(const FdGuard &) = delete;

private:
	int fd_;
};

// "PATH: cannot open: No such file or directory", with errno as the error's code.
Error cannot(const std::string &path, const char *what)
{
	int err = errno;
	return parse_error(path, 0, what + errno_text(err), err);
}

} // namespace

Result<std::string> read_config_file(const std::string &path)
{
	if (path.empty())
		return parse_error("(empty path)", 0, "no config file name given");

	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return cannot(path, "cannot open: ");
	FdGuard guard(fd);

	struct stat st;
	if (fstat(fd, &st) != 0)
		return cannot(path, "cannot stat: ");
	if (S_ISDIR(st.st_mode))
		return parse_error(path, 0, "is a directory, not a config file");
	if (!S_ISREG(st.st_mode))
		return parse_error(path, 0, "is not a regular file");
	if (static_cast<unsigned long long>(st.st_size) > kMaxConfigFileBytes)
		return parse_error(path, 0,
		                   "is " + std::to_string(st.st_size) + " bytes, more than the " +
		                           std::to_string(kMaxConfigFileBytes) +
		                           " a config file may have");

	// Read to EOF rather than trusting st_size: files in /proc and some FUSE files report 0.
	// A short read that brings the text to a size stat reported is taken as the end: one
	// read() for the usual config, in every process the preload starts in.
	const auto size = static_cast<size_t>(st.st_size);
	std::string text;
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cannot(path, "cannot read: ");
		if (n == 0)
			break;
		if (text.size() + static_cast<size_t>(n) > kMaxConfigFileBytes)
			return parse_error(path, 0,
			                   "is more than the " +
			                           std::to_string(kMaxConfigFileBytes) +
			                           " bytes a config file may have");
		text.append(buf, static_cast<size_t>(n));
		if (size && text.size() == size && static_cast<size_t>(n) < sizeof(buf))
			break;
	}
	return text;
}

} // namespace tld::config
