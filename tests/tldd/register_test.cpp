// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Brokered registration end to end: an unprivileged process (uid 65534, no BPF rights) hands
// over its memfd and registers its threads; BPF then reads exactly what those threads store,
// including stores made after registration.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <thread>

#include "bpffs.h"
#include "client_proc.h"
#include "harness.h"
#include "sys/pidfd_compat.h"
#include "tld/abi.h"
#include "wire/broker_client.h"

namespace tld::test {
namespace {

class RegisterTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(bpffs.ok());
		// uid 65534 must reach the socket inside the test directory.
		chmod(bpffs.path().c_str(), 0711);
		std::string why;
		ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
		std::string err = probe.load(tldd.pin_root + "/tld_data_map");
		ASSERT_EQ(err, "") << "the probe must load against the pinned map";
	}
	BpffsMount bpffs;
	Tldd tldd{bpffs.path()};
	Probe probe;
};

void expect_values(const Probe &probe, const ClientReply &rep, std::uint64_t base)
{
	for (std::uint32_t i = 0; i < rep.n; i++) {
		ProbeResult r = probe.read_tid(rep.t[i].tid);
		EXPECT_EQ(r.found, 1) << "thread " << rep.t[i].tid;
		EXPECT_EQ(r.start, rep.t[i].start);
		EXPECT_EQ(r.value, base + i) << "thread " << rep.t[i].tid;
		EXPECT_EQ(r.meta_cnt, 1u) << "meta points at the client's page 0";
	}
}

TEST_F(RegisterTest, NobodyRegistersEightThreadsAndBpfSeesLaterStores)
{
	for (bool use_pidfd : {false, true}) {
		SCOPED_TRACE(use_pidfd ? "thread pidfds" : "tids");
		ClientProc client = ClientProc::spawn(tldd.socket_path, true, use_pidfd);
		ClientReply rep;
		ASSERT_TRUE(client.start_threads(8, 0x1000, &rep));
		ASSERT_EQ(rep.err, 0) << "last error " << rep.last_error;
		EXPECT_EQ(rep.errors, 0u);
		ASSERT_EQ(rep.n, 8u);
		expect_values(probe, rep, 0x1000);

		// Plain stores after registration are what BPF reads: no re-registration.
		ASSERT_TRUE(client.write_all(0xabc000));
		expect_values(probe, rep, 0xabc000);

		EXPECT_EQ(client.quit(), 0);
	}
}

// A process that may use BPF itself reads its own entry from each registered thread: the
// consumer's view (the current task) agrees with the by-tid view.
TEST_F(RegisterTest, EachThreadSeesItsOwnBlock)
{
	Arena arena = Arena::create(9);
	ASSERT_TRUE(arena.base);
	broker::Client client;
	ASSERT_EQ(client.set_path(tldd.socket_path.c_str()), 0);
	ASSERT_EQ(client.hello(arena.fd.get()), 0);
	std::vector<std::thread> threads;
	std::atomic<int> ok{0};
	for (std::uint16_t i = 0; i < 8; i++) {
		threads.emplace_back([&, i] {
			std::uint32_t page = 1u + i;
			*arena.slot(page, TLD_DATA_START) = 0x5000 + i;
			if (client.register_thread(gettid_now(), page, TLD_DATA_START, 64) != 0 ||
			    client.sync(10000) != 0)
				return;
			ProbeResult r = probe.read_self();
			*arena.slot(page, TLD_DATA_START) = 0x6000 + i;
			ProbeResult later = probe.read_self();
			if (r.found == 1 && r.value == 0x5000u + i && later.value == 0x6000u + i)
				ok++;
			// Unregistering with a wait: once it returns, BPF sees nothing.
			if (client.unregister_thread(gettid_now(), 10000) == 0 &&
			    probe.read_self().found == 0)
				ok++;
		});
	}
	for (auto &t : threads)
		t.join();
	EXPECT_EQ(ok.load(), 16);
	client.poll_events();
	EXPECT_EQ(client.stats().errors, 0u) << client.stats().last_error;
}

TEST_F(RegisterTest, ClientGrowsItsMemfdAfterHello)
{
	Arena arena = Arena::create(2);
	broker::Client client;
	ASSERT_EQ(client.set_path(tldd.socket_path.c_str()), 0);
	ASSERT_EQ(client.hello(arena.fd.get()), 0);
	ASSERT_EQ(client.sync(10000), 0);
	// Page 5 does not exist yet; then the client grows the memfd and tldd maps the rest.
	std::thread([&] {
		EXPECT_EQ(client.register_thread(gettid_now(), 5, TLD_DATA_START, 64), 0);
		EXPECT_EQ(client.sync(10000), 0);
		client.poll_events();
		EXPECT_EQ(client.stats().last_error, -ERANGE);
	}).join();
	ASSERT_EQ(ftruncate(arena.fd.get(), 8 * 4096), 0);
	void *m = mmap(nullptr, 8 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, arena.fd.get(), 0);
	ASSERT_NE(m, MAP_FAILED);
	std::thread([&] {
		static_cast<volatile std::uint64_t *>(m)[5 * 512] = TLD_DATA_START;
		static_cast<volatile std::uint64_t *>(m)[5 * 512 + 1] = 0x77;
		EXPECT_EQ(client.register_thread(gettid_now(), 5, TLD_DATA_START, 64), 0);
		EXPECT_EQ(client.sync(10000), 0);
		ProbeResult r = probe.read_self();
		EXPECT_EQ(r.found, 1);
		EXPECT_EQ(r.value, 0x77u);
	}).join();
	munmap(m, 8 * 4096);
	EXPECT_EQ(client.stats().errors, 1u);
}

// tldd marks what it registers in its own pinned tld_broker_map (what tldctl list shows as
// PATH), and unmarks it with the registration; tld_data_map's value is upstream's 16 bytes.
TEST_F(RegisterTest, TlddMarksWhatItRegistersInItsBrokerMap)
{
	Fd map(bpf_obj_get((tldd.pin_root + "/" TLD_DATA_MAP_NAME).c_str()));
	ASSERT_TRUE(map) << strerror(errno);
	Fd marks(bpf_obj_get((tldd.pin_root + "/" TLD_BROKER_MAP_NAME).c_str()));
	ASSERT_TRUE(marks) << strerror(errno);
	Arena arena = Arena::create(2);
	broker::Client client;
	ASSERT_EQ(client.set_path(tldd.socket_path.c_str()), 0);
	ASSERT_EQ(client.hello(arena.fd.get()), 0);
	std::thread([&] {
		Fd self(sys::pidfd_open(gettid_now(), PIDFD_THREAD));
		ASSERT_TRUE(self);
		int key = self.get();
		ASSERT_EQ(client.register_thread(gettid_now(), 1, TLD_DATA_START, 64), 0);
		ASSERT_EQ(client.sync(10000), 0);
		tld_map_value v{};
		ASSERT_EQ(bpf_map_lookup_elem(map.get(), &key, &v), 0);
		EXPECT_EQ(v.data, nullptr) << "uptrs read back as 0";
		tld_broker_entry e{};
		ASSERT_EQ(bpf_map_lookup_elem(marks.get(), &key, &e), 0);
		EXPECT_EQ(e.flags, TLD_BROKER_E_BROKERED);
		ASSERT_EQ(client.unregister_thread(gettid_now(), 10000), 0);
		EXPECT_NE(bpf_map_lookup_elem(marks.get(), &key, &e), 0) << "mark outlived it";
	}).join();
	client.poll_events();
	EXPECT_EQ(client.stats().errors, 0u) << client.stats().last_error;
}

// A REGISTER claims where the block is; tldd checks the claim against the page, as it checks
// the page against the memfd: another start, or a page whose start word says otherwise, is
// refused.
TEST_F(RegisterTest, StartMustBeThePagesOwnStartWord)
{
	Arena arena = Arena::create(3);
	broker::Client client;
	ASSERT_EQ(client.set_path(tldd.socket_path.c_str()), 0);
	ASSERT_EQ(client.hello(arena.fd.get()), 0);
	*arena.slot(2, 0) = 64; // page 2 says its block is at 64
	std::thread([&] {
		EXPECT_EQ(client.register_thread(gettid_now(), 1, 64, 64), 0);
		EXPECT_EQ(client.sync(10000), 0);
		client.poll_events();
		EXPECT_EQ(client.stats().last_error, -EINVAL) << "a start other than 8";
		EXPECT_EQ(client.register_thread(gettid_now(), 2, TLD_DATA_START, 64), 0);
		EXPECT_EQ(client.sync(10000), 0);
		client.poll_events();
		EXPECT_EQ(client.stats().errors, 2u) << "a page whose start word disagrees";
		EXPECT_EQ(probe.read_self().found, 0);
	}).join();
}

} // namespace
} // namespace tld::test
