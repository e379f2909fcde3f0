// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The two readers of tests/interop side by side: upstream_reader.bpf.c (upstream's consumer
// protocol, nothing of tld's) and tld_reader.bpf.c (tld.bpf.h), each a task iterator loaded
// against a tld_data_map, by fd, by pin path or by pin name as a consumer's loader would.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <sys/types.h>

#include <linux/types.h>

#include "interop_record.h"

struct bpf_object;

namespace tld::test {

enum class Reuse {
	Fd,      // bpf_map__reuse_fd()
	PinPath, // bpf_map__set_pin_path(): libbpf's reuse check
	PinName, // LIBBPF_PIN_BY_NAME with pin_root_path: the same check, found by name
};

class Reader {
public:
	// Loads <TLD_BPF_GEN_DIR>/<object>.bpf.o and its one iter/task program against the map
	// pinned at <pin_root>/tld_data_map. nullptr with *why on failure.
	static std::unique_ptr<Reader> load(const std::string &object, const std::string &pin_root,
	                                    Reuse how, std::string *why);
	~Reader();
	Reader(const Reader &) = delete;
	Reader &operator=(const Reader &) = delete;

	// One record per registered task of process `pid` (0: every process), by tid.
	std::map<pid_t, interop_rec> read(pid_t pid = 0, pid_t tid = 0) const;
	const std::string &name() const { return name_; }
	// Drops the offset cache (tld_key_map) of the task behind `pidfd`: its next read looks the
	// keys up afresh. Returns 0 or -errno.
	int forget(int pidfd) const;

private:
	Reader() = default;
	bpf_object *obj_ = nullptr;
	std::string name_;
};

// Object names: the upstream reader by ISA ("upstream_reader_v3"), by pin name; tld's.
std::string upstream_object(const char *cpu = "v3");
std::string upstream_by_name_object();
std::string tld_object(const char *cpu = "v3");

} // namespace tld::test
