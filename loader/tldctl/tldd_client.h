// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What tldctl asks tldd: is it up, and (once tldd answers control requests) which threads it
// registered, its clients and limits, and hint changes on behalf of a process's owner.
#pragma once

#include <set>
#include <string>
#include <sys/types.h>

namespace tld::ctl {

struct TlddView {
	bool up = false;
	std::string error;        // why tldd is not reachable, when !up
	bool detailed = false;    // tldd answered a status request: the fields below are valid
	std::set<pid_t> brokered; // threads tldd registered
};

// Connects to tldd's socket and asks what it knows. Never throws.
TlddView query_tldd(const std::string &socket);

} // namespace tld::ctl
