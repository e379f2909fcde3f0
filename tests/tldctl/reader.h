// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Reads key "class" of a process's threads with reader.bpf.c: BPF's view, independent of tldctl.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>

struct tldctl_test_reader;

namespace tld::test {

class ClassReader {
public:
	explicit ClassReader(int map_fd); // on failure error() says why
	~ClassReader();
	ClassReader(const ClassReader &) = delete;
	ClassReader &operator=(const ClassReader &) = delete;

	const std::string &error() const { return error_; }
	// tid -> class as BPF reads it, for the registered threads of @pid that have the key.
	std::map<pid_t, uint32_t> read(pid_t pid);

private:
	tldctl_test_reader *skel_ = nullptr;
	std::string error_;
};

} // namespace tld::test
