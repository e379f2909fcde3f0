// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The world a tldctl test runs in: a private bpffs with a real tld_data_map pinned where tldd
// would pin it, a keys.conf, a socket path nobody listens on (tldd down), and tldctl itself.
#pragma once

#include <gtest/gtest.h>

#include <boost/property_tree/ptree.hpp>
#include <string>
#include <vector>

#include "bpffs.h"
#include "test_map.h"
#include "workload.h"

namespace tld::test {

// The keys every tldctl test declares: the fixture's keys.conf.
inline constexpr const char *kTestKeysConf = R"(
[key.class]
type = u32

[key.prio]
type = i32
default = -1

[key.urgent]
type = bool

[key.role]
type = bytes:16
default = "worker"

[rule.workers]
thread = worker*
set = prio = 7
)";

// Parses JSON text; fails the test on malformed input.
boost::property_tree::ptree parse_json_text(const std::string &text);

class TldctlTest : public ::testing::Test {
protected:
	void SetUp() override;

	// Runs tldctl with the fixture's --pin-root, --config (unless @args has its own) and
	// --socket before @args.
	RunResult tldctl(const std::vector<std::string> &args, uid_t uid = uid_t(-1)) const;
	static boost::property_tree::ptree parse_json(const std::string &text)
	{
		return parse_json_text(text);
	}

	// A workload with keys class (u32), prio (i32), urgent (bool), role (bytes:16), one
	// extra undeclared key "opaque" (u16-sized), registered directly in the pinned map.
	WorkloadSpec spec(int threads) const;

	std::string map_path() const { return bpffs_.path() + "/tld_data_map"; }

	BpffsMount bpffs_;
	TestMap map_;
	TempDir dir_;
	std::string config_path_;
	std::string socket_path_;
};

} // namespace tld::test
