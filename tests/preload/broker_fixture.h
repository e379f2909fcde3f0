// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload through the real tldd: tldd in a private bpffs, its pinned tld_data_map open here,
// and a keys.conf whose options send the preload to that tldd. For tests built with the tldd
// harness (tld_preload_test(... TLDD)).
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <bpf/bpf.h>

#include "bpffs.h"
#include "harness.h"
#include "sys/fd.h"
#include "tests/tldd/harness.h"

namespace tld::test {

class BrokerPreloadTest : public ::testing::Test {
protected:
	void SetUp() override { ASSERT_NO_FATAL_FAILURE(start({}, test_keys())); }

	// Starts tldd with @tldd_args and writes keys.conf: the options for it, then @keys. The
	// programs under test run as uid 65534 too: the directory and the config are readable.
	void start(const std::vector<std::string> &tldd_args, const std::string &keys)
	{
		ASSERT_TRUE(bpffs_.ok());
		std::string why;
		ASSERT_TRUE(tldd_.start_ready(tldd_args, &why)) << why;
		map_.reset(bpf_obj_get((tldd_.pin_root + "/tld_data_map").c_str()));
		ASSERT_TRUE(map_) << strerror(errno);
		config_ = write_config(dir_.path(),
		                       "registration = broker\nsocket = " + tldd_.socket_path +
		                               "\npin_root = " + tldd_.pin_root + "\n",
		                       keys);
		chmod(dir_.path().c_str(), 0755);
		chmod(config_.c_str(), 0644);
	}

	TempDir dir_;
	BpffsMount bpffs_;
	Tldd tldd_{bpffs_.path()};
	Fd map_;
	std::string config_;
};

} // namespace tld::test
