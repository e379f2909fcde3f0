// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd killed with SIGKILL while 20 clients hold registrations: BPF keeps seeing every
// thread's hints (the kernel holds the entries and the pins, not tldd), and after a restart
// the clients reconnect by themselves and register new threads.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <vector>

#include "bpffs.h"
#include "client_proc.h"
#include "harness.h"

namespace tld::test {
namespace {

constexpr int kClients = 20;
constexpr std::uint32_t kThreads = 3;

TEST(Restart, SigkillKeepsHintsAndClientsReconnect)
{
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());
	Tldd tldd{bpffs.path()};
	std::string why;
	ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
	Probe probe;
	ASSERT_EQ(probe.load(tldd.pin_root + "/tld_data_map"), "");

	std::vector<ClientProc> clients;
	std::vector<ClientReply> before(kClients);
	for (int i = 0; i < kClients; i++) {
		clients.push_back(ClientProc::spawn(tldd.socket_path, true));
		ASSERT_TRUE(clients.back().start_threads(kThreads, i * 1000ull, &before[i]));
		ASSERT_EQ(before[i].err, 0);
	}

	tldd.stop(SIGKILL);
	for (int i = 0; i < kClients; i++)
		for (std::uint32_t t = 0; t < kThreads; t++) {
			ProbeResult r = probe.read_tid(before[i].t[t].tid);
			EXPECT_EQ(r.found, 1);
			EXPECT_EQ(r.value, i * 1000ull + t);
		}

	ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
	EXPECT_NE(tldd.log().find("adopted"), std::string::npos);
	for (int i = 0; i < kClients; i++) {
		ClientReply after;
		// The first request finds the old connection dead, reconnects and says HELLO again.
		ASSERT_TRUE(clients[i].start_threads(kThreads, i * 1000ull + 500, &after));
		EXPECT_EQ(after.err, 0) << "client " << i;
		EXPECT_EQ(after.errors, 0u) << "client " << i << " last error " << after.last_error;
		EXPECT_GE(after.reconnects, 1u);
		for (std::uint32_t t = 0; t < kThreads; t++) {
			ProbeResult r = probe.read_tid(after.t[t].tid);
			EXPECT_EQ(r.found, 1) << tldd.log();
			EXPECT_EQ(r.value, i * 1000ull + 500 + kThreads + t);
			// The old threads are untouched.
			EXPECT_EQ(probe.read_tid(before[i].t[t].tid).value, i * 1000ull + t);
		}
	}
	for (auto &c : clients)
		EXPECT_EQ(c.quit(), 0);
}

} // namespace
} // namespace tld::test
