// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What setuid_peer.cpp reports to setuid_test.cpp.
#pragma once

#include <cstdint>

namespace tld::test {

struct SetuidReport {
	std::int32_t euid, ruid;            // of the exec'd image
	std::int32_t dump_type, dump_error; // DUMP's answer (type 0: none)
	std::int32_t set_type, set_error;   // SET's answer
};

} // namespace tld::test
