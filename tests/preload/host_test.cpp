// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload must not harm its host (issue 14): what it brings into every process it enters.
#include <gtest/gtest.h>

#include <sstream>

#include "harness.h"

namespace tld::test {
namespace {

std::vector<std::string> lines_with(const std::string &text, const std::string &what)
{
	std::vector<std::string> out;
	std::istringstream in(text);
	for (std::string line; std::getline(in, line);)
		if (line.find(what) != std::string::npos)
			out.push_back(line);
	return out;
}

// Each shared library is loaded and relocated in every process: libstdc++, libm and
// libgcc_s doubled the cost of a short exec (docs/performance.md).
TEST(PreloadHost, NeedsOnlyLibc)
{
	RunResult r = run({"/usr/bin/readelf", "-d", preload_path()}, {"LC_ALL=C"});
	ASSERT_EQ(r.status, 0) << r.err;
	auto needed = lines_with(r.out, "(NEEDED)");
	ASSERT_EQ(needed.size(), 1u) << r.out;
	EXPECT_NE(needed[0].find("[libc.so.6]"), std::string::npos) << needed[0];
}

// Its own operator new (shim/cxxrt.cpp) must not replace the program's: a C++ program that
// catches bad_alloc would abort instead.
TEST(PreloadHost, ExportsNoCxxRuntime)
{
	RunResult r = run({"/usr/bin/nm", "-D", "--defined-only", preload_path()}, {"LC_ALL=C"});
	ASSERT_EQ(r.status, 0) << r.err;
	ASSERT_FALSE(lines_with(r.out, " tld_").empty()) << r.out; // the C API is there
	for (const char *sym : {" _Znwm", " _ZdlPv", " _ZSt7nothrow", " _ZSt17__throw"})
		EXPECT_TRUE(lines_with(r.out, sym).empty()) << sym << " exported:\n" << r.out;
}

// Debian 12's valgrind (3.19) aborted reading the DWARF 5 of clang-19's default.
TEST(PreloadHost, ValgrindReadsItsDebugInfo)
{
	std::string config = std::string(TLD_TEST_SOURCE_DIR) + "/test.conf";
	RunResult r = run({"/usr/bin/valgrind", "-q", "--error-exitcode=99", "/bin/true"},
	                  preload_env(config, {"PATH=/usr/bin:/bin"}));
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.err.find("debuginfo"), std::string::npos) << r.err;
}

} // namespace
} // namespace tld::test
