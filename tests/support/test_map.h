// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// A real tld_data_map created in this kernel from the same object tldd uses (tld_maps.bpf.c),
// for tests that register threads directly.
#pragma once

#include <memory>
#include <string>

struct tld_maps;

namespace tld::test {

class TestMap {
public:
	// Loads the map object; on failure fd() is -1 and error() says why (the test must fail).
	TestMap();
	~TestMap();
	TestMap(const TestMap &) = delete;
	TestMap &operator=(const TestMap &) = delete;

	int fd() const;
	const std::string &error() const { return error_; }

private:
	tld_maps *skel_ = nullptr;
	std::string error_;
};

} // namespace tld::test
