// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// A session on the pinned map: the map opened, the dump iterator loaded, and reads of a target
// turned into clear errors. Shared by list, get, set, status and top. For list and get, a
// caller the map or BPF refuses (EPERM, EACCES) reads through tldd instead (DUMP), which shows
// root everything and anyone else only the processes they own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "progs/dump.h"
#include "sys/fd.h"
#include "target.h"

namespace tld::ctl {

// Throws CliError for a failed BPF step, with libbpf's log when --verbose or the load failed.
[[noreturn]] void fail_bpf(const Error &err, const std::string &doing);

// Opens <pin_root>/tld_data_map; throws CliError naming the pin root when it cannot.
Fd open_map(const Context &ctx);

class Session {
public:
	// Needs root; throws CliError otherwise or when the map or program cannot be loaded.
	// With @via_tldd_if_refused, a caller that may not open the map or load the program reads
	// through tldd instead (map_fd() is then -1).
	explicit Session(const Context &ctx, const char *what, bool via_tldd_if_refused = false);

	int map_fd() const { return map_.get(); }
	bool via_tldd() const { return !dumper_; }
	// Every registered thread (optionally of one process), sorted by pid and tid.
	std::vector<ThreadData> read_all(pid_t pid = 0) const;
	// The registered threads of @t. Throws CliError (kExitFailure) if it has none, or if the
	// process exited meanwhile.
	std::vector<ThreadData> read_target(const Target &t) const;

private:
	// DUMP through tldd, sorted by pid and tid; throws CliError for its refusals (@t names the
	// target in messages, if there is one).
	std::vector<ThreadData> read_via_tldd(pid_t pid, const Target *t) const;

	const Context &ctx_;
	Fd map_;
	std::optional<Dumper> dumper_;
	std::string refused_; // why the map or BPF refused the caller, when via tldd
};

// @key's slot in the first of @threads, those of process @pid. Throws CliError (kExitFailure)
// naming the keys it has instead, the message ending in @then.
const KeySlot &slot_of(const std::vector<ThreadData> &threads, pid_t pid, const std::string &key,
                       const std::string &then = "");

} // namespace tld::ctl
