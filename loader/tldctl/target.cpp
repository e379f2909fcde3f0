// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "target.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "progs/owner.h"
#include "sys/fd.h"
#include "sys/pidfd_compat.h"

namespace tld::ctl {

std::string Target::str() const
{
	return tid ? std::to_string(pid) + "/" + std::to_string(tid) : std::to_string(pid);
}

namespace {

bool parse_id(std::string_view s, pid_t &out)
{
	if (s.empty() || s.size() > 10)
		return false;
	long v = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size() || v <= 0 || v > 0x3fffffff)
		return false;
	out = pid_t(v);
	return true;
}

} // namespace

Target parse_target(const std::string &text)
{
	Target t;
	std::string_view s = text;
	size_t slash = s.find('/');
	bool ok = parse_id(s.substr(0, slash), t.pid);
	if (ok && slash != std::string_view::npos)
		ok = parse_id(s.substr(slash + 1), t.tid);
	if (!ok)
		throw CliError(kExitUsage, "bad target '" + text + "': expected PID or PID/TID");
	return t;
}

uid_t check_target(const Target &t)
{
	std::string dir = "/proc/" + std::to_string(t.pid);
	struct stat st;
	// /proc/PID also resolves a thread id that is not a process: require a thread group leader.
	std::ifstream status(dir + "/status");
	std::string line;
	pid_t tgid = 0;
	while (status && std::getline(status, line))
		if (line.rfind("Tgid:", 0) == 0)
			tgid = pid_t(atoi(line.c_str() + 5));
	if (tgid == 0)
		throw CliError(kExitFailure, "no process " + std::to_string(t.pid));
	if (tgid != t.pid)
		throw CliError(kExitFailure,
		               std::to_string(t.pid) + " is a thread of process " +
		                       std::to_string(tgid) + ", not a process; use " +
		                       std::to_string(tgid) + "/" + std::to_string(t.pid));
	if (t.tid && stat((dir + "/task/" + std::to_string(t.tid)).c_str(), &st) != 0)
		throw CliError(kExitFailure, "process " + std::to_string(t.pid) +
		                                     " has no thread " + std::to_string(t.tid));
	Fd pidfd(sys::pidfd_open(t.pid, 0));
	auto owner = pidfd ? process_owner(pidfd.get()) : Result<uid_t>(Error{errno, "pidfd_open"});
	if (!owner)
		throw CliError(kExitFailure, "no process " + std::to_string(t.pid));
	return owner.value();
}

void check_may_change(const Target &t, uid_t owner)
{
	// The owner is checked against the real uid as well: a setuid program run by someone
	// else must not be able to use this on their behalf.
	if (geteuid() == 0 || (may_change(geteuid(), owner) && getuid() == owner))
		return;
	if (owner == kNoOwner)
		throw CliError(kExitPermission,
		               "permission denied: process " + std::to_string(t.pid) +
		                       " runs with mixed uids (setuid); only root may "
		                       "change its hints");
	throw CliError(kExitPermission, "permission denied: process " + std::to_string(t.pid) +
	                                        " belongs to uid " + std::to_string(owner) +
	                                        "; only root or uid " + std::to_string(owner) +
	                                        " may change its hints");
}

} // namespace tld::ctl
