// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What tldctl asks tldd (protocol.h, "Control requests"): QUERY, tldd's state and the threads
// it registered; SET, a hint change for the owner of a process who is not root; DUMP, what BPF
// reads, for the same owners.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "sys/result.h"

namespace tld::ctl {

struct TlddView {
	bool up = false;
	std::string error;        // why tldd is not reachable, when !up
	bool detailed = false;    // tldd answered QUERY: the fields below are valid
	std::string detail_error; // why not, when up and !detailed
	pid_t pid = 0;
	unsigned clients = 0, max_clients = 0, max_threads_per_client = 0, threads = 0;
	uint64_t max_memfd_bytes = 0, mapped_bytes = 0;
	unsigned at_thread_limit = 0; // clients tldd refused a registration for the thread limit
};

// What tldd's EBUSY means for the caller: over its control-rate.
std::string busy_message();

// Connects to tldd's socket and asks what it knows. Never throws.
TlddView query_tldd(const std::string &socket);

// Asks tldd to set @key to @value in process @pid (every registered thread, or thread @tid).
// tldd's answer: the number of threads written, or -errno, its verdict (EPERM, ESRCH, ENXIO,
// ENOENT, EMSGSIZE, ...). An error says why tldd could not be asked (ECONNREFUSED, ENOENT,
// ETIMEDOUT, EBADMSG from a tldd without control requests).
Result<int> set_via_tldd(const std::string &socket, pid_t pid, pid_t tid, const std::string &key,
                         const std::vector<uint8_t> &value);

// Asks tldd for the dump iterator's records (progs/dump.h) of process @pid, or of every
// process the caller may read (@pid 0: all for root, else the caller's own), into *records.
// tldd's answer: the number of records, or -errno, its verdict (EPERM, ESRCH, EOPNOTSUPP,
// ...). An error says why tldd could not be asked (ECONNREFUSED, ENOENT, ETIMEDOUT, EPROTO,
// EBADMSG from a tldd without DUMP).
Result<int> dump_via_tldd(const std::string &socket, pid_t pid, std::string *records);

} // namespace tld::ctl
