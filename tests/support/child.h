// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Runs a test body in a forked child: libtld's key table and arena are per process, so each
// scenario that needs a fresh table gets a fresh process. Failures in the child are printed
// there and turn into a non-zero exit the parent reports.
#pragma once

#include <functional>
#include <string>

namespace tld::test {

// Returns "" if `body` ran without a gtest failure, else a description of how the child ended.
std::string run_in_child(const std::function<void()> &body);

#define TLD_IN_CHILD(...)                                                                          \
	do {                                                                                       \
		std::string tld_child_status_ = ::tld::test::run_in_child(__VA_ARGS__);            \
		EXPECT_EQ(tld_child_status_, "") << "child failed";                                \
	} while (0)

} // namespace tld::test
