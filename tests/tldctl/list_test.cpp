// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl list and get show what BPF reads, decoded by keys.conf, as a table and as JSON.
#include <gtest/gtest.h>

#include <map>

#include "fixture.h"

namespace tld::test {
namespace {

using Tree = boost::property_tree::ptree;

TEST_F(TldctlTest, ListShowsEveryThreadWithDecodedValues)
{
	Workload w(spec(3));
	ASSERT_TRUE(w.ok()) << w.error();

	RunResult r = tldctl({"list", "--json"});
	ASSERT_EQ(r.status, 0) << r.err;
	Tree doc = parse_json(r.out);
	int found = 0;
	for (const auto &[_, proc] : doc.get_child("processes")) {
		if (proc.get<pid_t>("pid") != w.pid())
			continue;
		std::map<pid_t, const Tree *> threads;
		for (const auto &[__, t] : proc.get_child("threads"))
			threads[t.get<pid_t>("tid")] = &t;
		for (size_t i = 0; i < w.tids().size(); i++) {
			ASSERT_TRUE(threads.count(w.tids()[i]))
			        << "thread " << w.tids()[i] << " missing";
			const Tree &t = *threads[w.tids()[i]];
			EXPECT_EQ(t.get<std::string>("comm"), "worker" + std::to_string(i));
			EXPECT_EQ(t.get<unsigned>("keys.class.value"), i % 2);
			EXPECT_EQ(t.get<std::string>("keys.class.type"), "u32");
			EXPECT_EQ(t.get<int>("keys.prio.value"), -10 - int(i));
			EXPECT_EQ(t.get<std::string>("keys.urgent.value"),
			          i == 0 ? "true" : "false");
			EXPECT_EQ(t.get<std::string>("keys.role.value"), "w" + std::to_string(i));
			EXPECT_EQ(t.get<std::string>("keys.role.type"), "bytes:16");
			// Undeclared: hex of the raw bytes, little-endian as stored.
			char hex[8];
			snprintf(hex, sizeof(hex), "%02x%02x", unsigned(i), 0xbeu);
			EXPECT_EQ(t.get<std::string>("keys.opaque.value"), std::string("0x") + hex);
			EXPECT_EQ(t.get<std::string>("keys.opaque.type"), "null");
			found++;
		}
	}
	EXPECT_EQ(found, 3);

	// The table says the same.
	r = tldctl({"list", "--pid", std::to_string(w.pid())});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("class=1 prio=-11 urgent=false role=\"w1\""), std::string::npos)
	        << r.out;
}

TEST_F(TldctlTest, ListFiltersByCommGlob)
{
	Workload w(spec(2));
	ASSERT_TRUE(w.ok()) << w.error();
	RunResult r = tldctl({"list", "--comm", "worker1", "--json"});
	ASSERT_EQ(r.status, 0) << r.err;
	Tree doc = parse_json(r.out);
	std::vector<pid_t> tids;
	for (const auto &[_, proc] : doc.get_child("processes"))
		for (const auto &[__, t] : proc.get_child("threads"))
			tids.push_back(t.get<pid_t>("tid"));
	EXPECT_EQ(tids, std::vector<pid_t>{w.tids()[1]});
}

TEST_F(TldctlTest, GetPrintsOneThreadOrAll)
{
	Workload w(spec(2));
	ASSERT_TRUE(w.ok()) << w.error();
	std::string pid = std::to_string(w.pid());

	RunResult r = tldctl({"get", pid + "/" + std::to_string(w.tids()[1]), "prio"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "-11\n");

	r = tldctl({"get", pid, "role"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, std::to_string(w.tids()[0]) + " \"w0\"\n" + std::to_string(w.tids()[1]) +
	                         " \"w1\"\n");

	r = tldctl({"get", pid, "class", "--json"});
	ASSERT_EQ(r.status, 0) << r.err;
	Tree doc = parse_json(r.out);
	EXPECT_EQ(doc.get<std::string>("type"), "u32");
	std::vector<unsigned> values;
	for (const auto &[_, t] : doc.get_child("threads"))
		values.push_back(t.get<unsigned>("value"));
	EXPECT_EQ(values, (std::vector<unsigned>{0, 1}));
}

} // namespace
} // namespace tld::test
