// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What BPF sees: every registered thread with its process's keys and its block, read through
// the tldctl_dump task iterator (bpf/tldctl_dump.bpf.c).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include <tld/abi.h> // before the skeleton, which names struct tld_btf_anchor

#include "progs/bpf_loader.h"
#include "tldctl_dump.skel.h"

namespace tld::ctl {

// One key of a process's meta page, with the offset BPF readers compute for it.
struct KeySlot {
	std::string name;
	uint16_t size = 0;
	uint32_t off = 0; // in the block: the 8-rounded sizes of the keys before it
};

struct ThreadData {
	pid_t pid = 0;
	pid_t tid = 0;
	std::string comm;       // the thread's name
	std::string pcomm;      // its process's (thread group leader's) name
	uint32_t flags = 0;     // TLDCTL_REC_* from the iterator
	uint64_t data_page = 0; // opaque page identities, for counting pinned pages
	uint64_t meta_page = 0;
	uint16_t start = 0;
	uint16_t meta_cnt = 0;
	uint16_t meta_size = 0;
	std::vector<KeySlot> keys; // published keys, in meta order; stops at one being published
	std::vector<uint8_t> block;
	std::string problem; // why the meta page is inconsistent, "" if it is not

	// The key called @name, or nullptr.
	const KeySlot *find(std::string_view name) const;
	// The key's bytes within the block, or nullptr if the block does not hold them.
	const uint8_t *value(const KeySlot &key) const;
};

// One record of the iterator's output, checked for framing only: whose it is and its bytes
// (header, keys, padded block), so tldd can pass on the records of some processes unchanged.
struct RawRecord {
	pid_t pid = 0;
	std::string_view bytes;
};

// Cuts the iterator's output (tldctl/records.h) into records. Malformed output is EPROTO.
Result<std::vector<RawRecord>> split_dump(std::string_view bytes);

// Parses the iterator's output (tldctl/records.h). Malformed output is EPROTO.
Result<std::vector<ThreadData>> parse_dump(std::string_view bytes);

// The loaded dump iterator, sharing the pinned tld_data_map.
class Dumper {
public:
	// @broker_map_fd: tldd's tld_broker_map, or -1 (records then say PATH_UNKNOWN).
	static Result<Dumper> load(int map_fd, int broker_map_fd);
	Result<std::vector<ThreadData>> read(TaskFilter filter = {}) const;
	// The iterator's output as it comes (tldd passes it on to tldctl).
	Result<std::string> read_raw(TaskFilter filter = {}) const;

private:
	using Skel = Skeleton<tldctl_dump>;
	explicit Dumper(Skel skel) : skel_(std::move(skel)) {}
	Skel skel_;
};

} // namespace tld::ctl
