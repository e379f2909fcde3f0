// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The direct registration path: the process itself writes tld_data_map (needs access to the map).
#pragma once

#include <sys/types.h>

#include "arena.h"

namespace tld::direct {

// Registers thread `tid` of this process with uptrs into this process's own arena mapping.
// Returns 0 or -errno (-EPERM/-EACCES without map access, -ESRCH if the thread is gone).
int register_thread(int map_fd, pid_t tid, const arena::Block &block);

// Removes the registration of `tid` (a no-op if none). Returns 0 or -errno.
int unregister_thread(int map_fd, pid_t tid);

} // namespace tld::direct
