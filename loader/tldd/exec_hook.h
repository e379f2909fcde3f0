// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The exec hook (bpf/tld_exec.bpf.c): deletes a task's tld_data_map entry when it execs, for
// every process, whatever registered it and whether or not its image ran the preload. Its link
// is pinned next to the map, so it outlives tldd like the registrations it cleans up.
#pragma once

#include <string>

#include "sys/result.h"

namespace tld::tldd {

// The link's pin, next to tld_data_map under the pin root.
inline constexpr const char *kExecLinkName = "tld_exec_link";

// Adopts the pinned link if it is a hook on `map_fd`'s map; otherwise (none, or one left from a
// map that is gone) attaches the program against `map_fd` and pins its link. Returns whether
// it adopted one: never two hooks on one map.
Result<bool> open_exec_hook(const std::string &pin_root, int map_fd);

// Unpins the link (tldd --remove-pins): the hook detaches when nothing else holds it.
Result<void> remove_exec_hook(const std::string &pin_root);

} // namespace tld::tldd
