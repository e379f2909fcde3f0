// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Syscalls counted by strace: what the preload adds to a program is the difference between a
// run under it and one without. Counts, never clocks.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "harness.h"

namespace tld::test {

// Syscalls by name, for each pid of an `strace -f` log.
using Counts = std::map<std::string, int>;

inline std::map<pid_t, Counts> parse_strace(const std::string &path)
{
	std::map<pid_t, Counts> by_pid;
	std::ifstream in(path);
	static const std::regex line(R"(^(\d+)\s+([a-z0-9_]+)\()");
	std::smatch m;
	for (std::string l; std::getline(in, l);)
		if (std::regex_search(l, m, line))
			by_pid[std::stoi(m[1])][m[2]]++;
	return by_pid;
}

inline int count(const Counts &c, const std::string &name)
{
	auto it = c.find(name);
	return it == c.end() ? 0 : it->second;
}

// What `with` makes of each syscall more than `without`, and the sum (fewer counts as 0).
inline Counts extra(const Counts &with, const Counts &without, int *total)
{
	Counts d;
	*total = 0;
	for (auto &[name, n] : with)
		if (int more = n - count(without, name); more > 0) {
			d[name] = more;
			*total += more;
		}
	return d;
}

inline std::string show(const Counts &c)
{
	std::string s;
	for (auto &[name, n] : c)
		s += name + " " + std::to_string(n) + ", ";
	return s;
}

// `argv` under `strace -f` logging to `log`, with `traced_env` (LD_PRELOAD=..., TLD_CONFIG=...)
// in the traced program's environment only: strace itself runs without the preload. Returns
// the log by pid; *first is the program's own pid. Fails the test if it fails or prints on
// stderr (whatever the preload does, the program's output is its own).
inline std::map<pid_t, Counts> strace_run(const std::string &log,
                                          const std::vector<std::string> &traced_env,
                                          const std::vector<std::string> &argv, pid_t *first)
{
	std::vector<std::string> cmd = {"/usr/bin/strace", "-f", "-qq", "-o", log};
	for (const std::string &var : traced_env)
		cmd.insert(cmd.end(), {"-E", var});
	cmd.insert(cmd.end(), argv.begin(), argv.end());
	RunResult r = run(cmd, {"PATH=/usr/bin:/bin"});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.err, "");
	std::ifstream in(log);
	std::string l;
	*first = std::getline(in, l) ? std::atoi(l.c_str()) : 0;
	return parse_strace(log);
}

} // namespace tld::test
