// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl set changes what BPF reads, at once, and only for those allowed to change it.
#include <gtest/gtest.h>

#include <chrono>
#include <sys/stat.h>
#include <thread>

#include "eventually.h"
#include "fixture.h"
#include "reader.h"

namespace tld::test {
namespace {

using Classes = std::map<pid_t, uint32_t>;

// Polls the BPF reader until it reads @want; returns what it read last.
Classes wait_for(ClassReader &reader, pid_t pid, const Classes &want)
{
	return eventually_value([&] { return reader.read(pid); },
	                        [&](const Classes &got) { return got == want; });
}

TEST_F(TldctlTest, SetChangesWhatBpfReadsWithinOneSecond)
{
	Workload w(spec(3));
	ASSERT_TRUE(w.ok()) << w.error();
	ClassReader reader(map_.fd());
	ASSERT_EQ(reader.error(), "");
	const auto &tids = w.tids();
	ASSERT_EQ(reader.read(w.pid()), (Classes{{tids[0], 0}, {tids[1], 1}, {tids[2], 0}}));

	// Every thread of the process.
	RunResult r = tldctl({"set", std::to_string(w.pid()), "class=5"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "class=5 in 3 threads of process " + std::to_string(w.pid()) + "\n");
	EXPECT_EQ(wait_for(reader, w.pid(), {{tids[0], 5}, {tids[1], 5}, {tids[2], 5}}),
	          (Classes{{tids[0], 5}, {tids[1], 5}, {tids[2], 5}}));

	// One thread, hex input, JSON output.
	std::string one = std::to_string(w.pid()) + "/" + std::to_string(tids[1]);
	r = tldctl({"set", one, "class=0x10", "--json"});
	ASSERT_EQ(r.status, 0) << r.err;
	auto doc = parse_json(r.out);
	EXPECT_EQ(doc.get<std::string>("value"), "16");
	EXPECT_EQ(wait_for(reader, w.pid(), {{tids[0], 5}, {tids[1], 16}, {tids[2], 5}}),
	          (Classes{{tids[0], 5}, {tids[1], 16}, {tids[2], 5}}));

	// Other types land where BPF and the process read them.
	ASSERT_EQ(tldctl({"set", one, "prio=-300"}).status, 0);
	ASSERT_EQ(tldctl({"set", one, "urgent=yes"}).status, 0);
	ASSERT_EQ(tldctl({"set", one, "role=\"audio\""}).status, 0);
	ASSERT_EQ(tldctl({"set", one, "opaque=0x3412"}).status, 0);
	r = tldctl({"list", "--pid", std::to_string(w.pid())});
	EXPECT_NE(r.out.find("class=16 prio=-300 urgent=true role=\"audio\" opaque=0x3412"),
	          std::string::npos)
	        << r.out;
}

// Makes the fixture's config readable to another user (tldctl reads it before anything).
void share_config(const std::string &dir)
{
	chmod(dir.c_str(), 0755);
	chmod((dir + "/keys.conf").c_str(), 0644);
}

TEST_F(TldctlTest, SetByAnotherUserIsRefusedAndChangesNothing)
{
	Workload w(spec(2)); // owned by root
	ASSERT_TRUE(w.ok()) << w.error();
	ClassReader reader(map_.fd());
	Classes before = reader.read(w.pid());
	ASSERT_EQ(before.size(), 2u);
	share_config(dir_.path());

	for (std::string target : {std::to_string(w.pid()),
	                           std::to_string(w.pid()) + "/" + std::to_string(w.tids()[0])}) {
		RunResult r = tldctl({"set", target, "class=7"}, 65534);
		EXPECT_EQ(r.status, 3) << r.out << r.err;
		EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
		EXPECT_NE(r.err.find("uid 0"), std::string::npos) << r.err;
	}
	std::this_thread::sleep_for(std::chrono::milliseconds(100));
	EXPECT_EQ(reader.read(w.pid()), before);
}

TEST_F(TldctlTest, OwnerWithoutTlddGetsAClearErrorAndNothingChanges)
{
	WorkloadSpec s = spec(2);
	s.uid = 65534;
	Workload w(s);
	ASSERT_TRUE(w.ok()) << w.error();
	ClassReader reader(map_.fd());
	Classes before = reader.read(w.pid());
	ASSERT_EQ(before.size(), 2u);
	share_config(dir_.path());

	RunResult r = tldctl({"set", std::to_string(w.pid()), "class=7"}, 65534);
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_NE(r.err.find("tldd is not reachable"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("nothing changed"), std::string::npos) << r.err;
	EXPECT_EQ(reader.read(w.pid()), before);
}

} // namespace
} // namespace tld::test
