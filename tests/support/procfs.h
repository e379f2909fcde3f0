// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What /proc says about a process the test started: its threads, its name, a file's text.
#pragma once

#include <set>
#include <string>
#include <sys/types.h>

namespace tld::test {

// The thread ids of process @pid now; empty once it is gone.
std::set<pid_t> live_tids(pid_t pid);

// /proc/@pid/comm without its newline ("" if the process is gone).
std::string comm_of(pid_t pid);

// The whole of the file at @path ("" if it cannot be read).
std::string read_file(const std::string &path);

} // namespace tld::test
