// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload without tldd: a tld_data_map this test created, pinned in a private bpffs, and a
// keys.conf (test.conf's keys) whose options register into it directly.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <bpf/bpf.h>

#include "bpffs.h"
#include "harness.h"
#include "test_map.h"

namespace tld::test {

class DirectPreloadTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(bpffs_.ok());
		ASSERT_GE(map_.fd(), 0) << map_.error();
		ASSERT_EQ(bpf_obj_pin(map_.fd(), (bpffs_.path() + "/tld_data_map").c_str()), 0)
		        << strerror(errno);
		// The socket names nothing: the direct path must not need tldd.
		config_ = write_config(dir_.path(),
		                       "registration = direct\npin_root = " + bpffs_.path() +
		                               "\nsocket = " + dir_.path() + "/none.sock\n");
	}

	TempDir dir_;
	BpffsMount bpffs_;
	TestMap map_;
	std::string config_;
};

} // namespace tld::test
