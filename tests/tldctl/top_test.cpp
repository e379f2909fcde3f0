// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl top attributes CPU time to hint classes as the kernel accounts it.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>

#include "fixture.h"

namespace tld::test {
namespace {

// The CPU time the kernel accounted to @tids so far (the first field of schedstat, in ns).
uint64_t kernel_cpu_ns(pid_t pid, const std::vector<pid_t> &tids)
{
	uint64_t sum = 0;
	for (pid_t tid : tids) {
		std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
		                 "/schedstat");
		uint64_t ns = 0;
		in >> ns;
		EXPECT_TRUE(in) << "no schedstat for thread " << tid;
		sum += ns;
	}
	return sum;
}

TEST_F(TldctlTest, TopAttributesCpuTimeToBothClassesAsTheKernelDoes)
{
	// Two spinning threads per class (class = index % 2). They spin for 1.5 s from go(),
	// which comes once top is attached, and sleep before and after: so the CPU time the
	// kernel accounts between the two samples below all falls inside top's window.
	WorkloadSpec s = spec(4);
	s.spin = true;
	s.spin_ms = 1500;
	Workload w(s);
	ASSERT_TRUE(w.ok()) << w.error();
	uint64_t before = kernel_cpu_ns(w.pid(), w.tids());

	Process top(Command{.argv = {TLDCTL_PATH, "--pin-root", bpffs_.path(), "--config",
	                             config_path_, "top", "--key", "class", "--pid",
	                             std::to_string(w.pid()), "--duration", "3", "--json"},
	                    .inherit_env = true});
	std::string line;
	ASSERT_TRUE(top.read_line(line, 10000))
	        << "no start line; " << top.finish().status << top.err();
	ASSERT_EQ(parse_json(line).get<std::string>("type"), "start") << line;
	w.go();

	std::string total;
	int intervals = 0;
	while (top.read_line(line, 10000)) {
		auto doc = parse_json(line);
		if (doc.get<std::string>("type") == "interval")
			intervals++;
		if (doc.get<std::string>("type") == "total")
			total = line;
	}
	uint64_t after = kernel_cpu_ns(w.pid(), w.tids());
	ASSERT_EQ(top.finish().status, 0) << top.err();
	// --duration 3 at the default 1 s interval: three intervals, then the total.
	EXPECT_EQ(intervals, 3);
	ASSERT_FALSE(total.empty());

	std::map<std::string, uint64_t> cpu;
	auto doc = parse_json(total);
	for (const auto &[_, c] : doc.get_child("classes")) {
		EXPECT_EQ(c.get<std::string>("hinted"), "true") << total;
		cpu[c.get<std::string>("value")] += c.get<uint64_t>("cpu_ns");
		EXPECT_GT(c.get<uint64_t>("runs"), 0u) << total;
		// Every thread waited at least once, woken by go(): latency samples exist.
		EXPECT_GT(c.get<uint64_t>("waits"), 0u) << total;
		EXPECT_GE(c.get<uint64_t>("wait_p99_ns"), c.get<uint64_t>("wait_p50_ns")) << total;
	}
	ASSERT_EQ(cpu.size(), 2u) << total;
	EXPECT_GT(cpu["0"], 0u) << total;
	EXPECT_GT(cpu["1"], 0u) << total;
	double seen = double(cpu["0"] + cpu["1"]), kernel = double(after - before);
	ASSERT_GT(kernel, 0);
	std::cout << "top: class 0 " << cpu["0"] / 1e6 << " ms, class 1 " << cpu["1"] / 1e6
	          << " ms; kernel " << kernel / 1e6 << " ms\n";
	EXPECT_NEAR(seen / kernel, 1.0, 0.10)
	        << "top saw " << seen / 1e6 << " ms, the kernel accounted " << kernel / 1e6
	        << " ms\n"
	        << total;
}

TEST_F(TldctlTest, TopPrintsATable)
{
	Workload w(spec(2));
	ASSERT_TRUE(w.ok()) << w.error();
	RunResult r = tldctl(
	        {"top", "class", "--pid", std::to_string(w.pid()), "--duration", "1.5", "--all"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("tldctl top: key 'class' (u32), pid " + std::to_string(w.pid())),
	          std::string::npos)
	        << r.out;
	EXPECT_NE(r.out.find("total over"), std::string::npos) << r.out;
	EXPECT_NE(r.out.find("WAIT p99"), std::string::npos) << r.out;
}

} // namespace
} // namespace tld::test
