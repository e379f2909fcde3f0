// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Does the kernel treat a tld_data_map's data and meta as uptrs? tldd asks before it adopts a
// pin, tldctl status before it calls the kernel fit.
#pragma once

#include "sys/result.h"

namespace tld::progs {

enum class UptrFields { uptrs, plain };

// Registers this process's leader in `map_fd` with a page of our own, reads the entry back and
// removes it: a kernel that knows uptrs returns them zeroed, one that does not as written.
Result<UptrFields> probe_uptr_fields(int map_fd);

} // namespace tld::progs
