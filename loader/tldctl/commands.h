// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The subcommands, one file each. Every one parses its own arguments (with --help) and returns
// an exit code, or throws CliError.
#pragma once

#include <string>
#include <vector>

#include "cli.h"

namespace tld::ctl {

using Args = std::vector<std::string>;

int cmd_list(Context &ctx, const Args &args);
int cmd_get(Context &ctx, const Args &args);
int cmd_set(Context &ctx, const Args &args);
int cmd_status(Context &ctx, const Args &args);
int cmd_keys(Context &ctx, const Args &args);
int cmd_top(Context &ctx, const Args &args);

struct Command {
	const char *name;
	int (*run)(Context &, const Args &);
	const char *summary;
};

inline constexpr Command kCommands[] = {
        {"list", cmd_list, "threads with task local data and their decoded hints"},
        {"get", cmd_get, "a key's value in a process or thread"},
        {"set", cmd_set, "change a key's value in a live process or thread"},
        {"status", cmd_status, "tldd, the pinned maps, registered threads, pinned memory"},
        {"keys", cmd_keys, "the keys keys.conf declares and the rules that set them"},
        {"top", cmd_top, "live per-hint CPU time, runs and wakeup latency as the scheduler sees"},
};

} // namespace tld::ctl
