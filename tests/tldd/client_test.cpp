// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The client library on its own terms: failures come back as events, concurrent senders,
// no daemon, and a forked child that must not speak for its parent.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bpffs.h"
#include "harness.h"
#include "wire/broker_client.h"
#include "wire/codec.h"
#include "wire/protocol.h"

namespace tld::test {
namespace {

class ClientTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(bpffs.ok());
		std::string why;
		ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
		ASSERT_EQ(probe.load(tldd.pin_root + "/tld_data_map"), "");
		ASSERT_EQ(client.set_path(tldd.socket_path.c_str()), 0);
		ASSERT_EQ(client.hello(arena.fd.get()), 0);
	}
	void TearDown() override { client.close(); }
	BpffsMount bpffs;
	Tldd tldd{bpffs.path()};
	Probe probe;
	Arena arena = Arena::create(17); // a page for each of 16 threads
	broker::Client client;
};

TEST_F(ClientTest, FailuresArriveAsEvents)
{
	std::thread([&] {
		// Sending succeeds: tldd answers later, and only because this one is wrong.
		EXPECT_EQ(client.register_thread(gettid_now(), 99, TLD_DATA_START, 64), 0);
		EXPECT_EQ(client.sync(10000), 0);
	}).join();
	EXPECT_EQ(client.poll_events(), 0) << "sync already read the event";
	broker::ClientStats s = client.stats();
	EXPECT_EQ(s.errors, 1u);
	EXPECT_EQ(s.last_error, -ERANGE);
	EXPECT_EQ(s.last_error_type, TLD_BROKER_REGISTER);
	// Waiting for an answer reports tldd's verdict.
	EXPECT_EQ(client.unregister_thread(1, 10000), -EPERM);
}

TEST_F(ClientTest, ManyThreadsSendAtOnce)
{
	constexpr int kThreads = 16, kEach = 200;
	std::vector<std::thread> threads;
	for (int i = 0; i < kThreads; i++)
		threads.emplace_back([&, i] {
			std::uint32_t page = 1u + static_cast<std::uint32_t>(i);
			*arena.slot(page, TLD_DATA_START) = i;
			for (int k = 0; k < kEach; k++) {
				int err = client.register_thread(gettid_now(), page, TLD_DATA_START,
				                                 64);
				if (err == -EAGAIN) { // tldd is behind: let it catch up
					usleep(1000);
					k--;
					continue;
				}
				ASSERT_EQ(err, 0);
			}
			ASSERT_EQ(client.sync(10000), 0);
			EXPECT_EQ(probe.read_self().value, static_cast<std::uint64_t>(i));
		});
	for (auto &t : threads)
		t.join();
	client.poll_events();
	EXPECT_EQ(client.stats().errors, 0u);
	EXPECT_GE(client.stats().sent, static_cast<std::uint64_t>(kThreads * kEach));
}

TEST_F(ClientTest, ForkedChildGreetsWithItsOwnMemfd)
{
	ASSERT_EQ(client.sync(10000), 0);
	Child child = Child::spawn([&](int) {
		client.after_fork();
		Arena mine = Arena::create(4);
		*mine.slot(1, TLD_DATA_START) = 0xc41d;
		if (client.hello(mine.fd.get()) != 0 ||
		    client.register_thread(gettid_now(), 1, TLD_DATA_START, 64) != 0 ||
		    client.sync(10000) != 0)
			return 1;
		client.poll_events();
		return probe.read_self().value == 0xc41d && client.stats().errors == 0 ? 0 : 2;
	});
	EXPECT_EQ(child.wait(), 0);
	// The parent's connection is unaffected.
	EXPECT_EQ(client.sync(10000), 0);
}

TEST(ClientLimit, ClientsBeyondMaxClientsAreRefused)
{
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());
	Tldd tldd{bpffs.path()};
	std::string why;
	ASSERT_TRUE(tldd.start_ready({"--max-clients", "1"}, &why)) << why;
	RawConn first, second;
	ASSERT_EQ(first.connect(tldd.socket_path), 0);
	EXPECT_FALSE(first.error_before_sync(5000).has_value());
	ASSERT_EQ(second.connect(tldd.socket_path), 0);
	auto ev = second.event(5000);
	ASSERT_TRUE(ev.has_value());
	EXPECT_EQ(ev->error, -EUSERS);
	EXPECT_TRUE(second.closed_by_peer(5000));
	EXPECT_FALSE(first.error_before_sync(5000).has_value()) << "the first is still served";
}

TEST(ClientNoDaemon, FailsFastWithoutBlocking)
{
	TempDir dir;
	broker::Client client;
	ASSERT_EQ(client.set_path((dir.path() + "/none.sock").c_str()), 0);
	Arena arena = Arena::create(2);
	EXPECT_EQ(client.hello(arena.fd.get()), -ENOENT);
	// Within the retry interval no connect is even tried.
	EXPECT_EQ(client.register_thread(gettid_now(), 1, TLD_DATA_START, 64), -ENOTCONN);
	EXPECT_EQ(client.poll_events(), -ENOTCONN);
	EXPECT_GE(client.stats().send_failed, 1u);
	std::string long_path(200, 'x');
	EXPECT_EQ(client.set_path(long_path.c_str()), -ENAMETOOLONG);
}

// A scripted peer in tldd's place, to put events in an order a busy tldd can produce: the
// answer to a SYNC, then an ERROR for another request whose seq is 256 later (a request
// nobody waits for), both queued before the client reads either. The ERROR must not take the
// SYNC's answer slot. The client runs in a child the peer stops while it queues the two, so
// the client cannot read the first alone (it did in CI when they were only sent in one call).
TEST(ClientAnswers, AnErrorForAnotherRequestDoesNotHideAnAnswer)
{
	TempDir dir;
	std::string path = dir.path() + "/peer.sock";
	Fd listener(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
	ASSERT_TRUE(listener);
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
	ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
	ASSERT_EQ(listen(listener.get(), 1), 0);
	Child client = Child::spawn([&](int report) {
		broker::Client c;
		int seen[2] = {c.set_path(path.c_str()), 0};
		if (seen[0] == 0)
			seen[0] = c.sync(5000);
		c.close();
		seen[1] = static_cast<int>(c.stats().errors);
		return send_obj(report, seen, sizeof(seen)) ? 0 : 1;
	});
	ASSERT_GT(client.pid(), 0);
	Fd conn(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
	ASSERT_TRUE(conn);
	tld_broker_req raw{};
	ASSERT_EQ(recv(conn.get(), &raw, sizeof(raw), 0), static_cast<ssize_t>(sizeof(raw)));
	broker::Request sync;
	ASSERT_EQ(broker::decode_request(&raw, sizeof(raw), 0, 0, &sync), 0);
	ASSERT_EQ(sync.type, TLD_BROKER_SYNC);
	broker::Request other = sync;
	other.type = TLD_BROKER_REGISTER;
	other.seq = sync.seq + 256;
	tld_broker_event events[2];
	broker::make_event(&events[0], sync, TLD_BROKER_ACK, 0, 0, 0);
	broker::make_event(&events[1], other, TLD_BROKER_ERROR, -EPERM, 0, 0);
	int status = 0;
	ASSERT_EQ(kill(client.pid(), SIGSTOP), 0);
	ASSERT_EQ(waitpid(client.pid(), &status, WUNTRACED), client.pid());
	ASSERT_TRUE(WIFSTOPPED(status));
	for (auto &ev : events)
		EXPECT_TRUE(send_obj(conn.get(), &ev, sizeof(ev)));
	ASSERT_EQ(kill(client.pid(), SIGCONT), 0);

	int seen[2] = {-1, -1};
	EXPECT_TRUE(recv_obj(client.fd(), seen, sizeof(seen), 10000));
	EXPECT_EQ(client.wait(), 0);
	EXPECT_EQ(seen[0], 0) << "sync() got its ACK";
	EXPECT_EQ(seen[1], 1) << "the ERROR was still counted";
}

} // namespace
} // namespace tld::test

namespace tld::test {
namespace {

// SYNC on a fresh connection as the calling process: the ACK's type, or the ERROR's -errno.
int synced(const std::string &socket)
{
	RawConn c;
	if (int err = c.connect(socket))
		return err;
	c.send(TLD_BROKER_SYNC, 0, 0, 0, 0, 0, -1, 77);
	auto ev = c.event(10000);
	if (!ev)
		return -ETIMEDOUT;
	return ev->hdr.type == TLD_BROKER_ACK ? 0 : ev->error;
}

// 1,100 idle connections of uid 65534 take at most its share of max-clients (1024): root and
// uid 65533 are still served, the refusals log a line or two, and the idle connections are
// closed once they have said nothing for the HELLO deadline.
TEST(ClientLimit, OneUidsIdleConnectionsLeaveSlotsForOthers)
{
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());
	Tldd tldd{bpffs.path()};
	std::string why;
	ASSERT_TRUE(tldd.start_ready({"--max-clients", "1024"}, &why)) << why;
	const std::string socket = tldd.socket_path;
	constexpr int kIdle = 1100;
	Child idler = Child::spawn([&](int fd) {
		rlimit rl{4096, 4096};
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || !become_nobody())
			return 10;
		std::vector<RawConn> conns(kIdle);
		std::int32_t opened = 0;
		for (auto &c : conns)
			opened += c.connect(socket) == 0;
		// The last one is accepted (or refused) once tldd has taken all before it.
		std::int32_t last = conns.back().closed_by_peer(30000) ? 1 : 0;
		send_obj(fd, &opened, sizeof(opened));
		send_obj(fd, &last, sizeof(last));
		char cmd = 0;
		if (!recv_obj(fd, &cmd, 1, 120000))
			return 11;
		std::int32_t closed = conns.front().closed_by_peer(30000) ? 1 : 0;
		send_obj(fd, &closed, sizeof(closed));
		return 0;
	});
	std::int32_t opened = 0, last = 0;
	ASSERT_TRUE(recv_obj(idler.fd(), &opened, sizeof(opened), 60000)) << idler.wait();
	ASSERT_TRUE(recv_obj(idler.fd(), &last, sizeof(last), 60000));
	EXPECT_EQ(opened, kIdle);
	EXPECT_EQ(last, 1) << "beyond its share, uid 65534's connections are refused";

	EXPECT_EQ(synced(socket), 0) << "root is served\n" << tldd.log();
	Child other = Child::spawn([&](int) {
		if (setgroups(0, nullptr) || setresgid(65533, 65533, 65533) ||
		    setresuid(65533, 65533, 65533))
			return 100;
		return -synced(socket);
	});
	EXPECT_EQ(other.wait(), 0) << "uid 65533 is served\n" << tldd.log();

	std::string log = tldd.log();
	std::size_t lines = 0;
	for (std::size_t pos = 0; (pos = log.find("refusing", pos)) != std::string::npos; pos++)
		lines++;
	EXPECT_LE(lines, 3u) << "refusals are logged per uid, not per connection\n" << log;

	char cmd = 'c';
	ASSERT_TRUE(send_obj(idler.fd(), &cmd, 1));
	std::int32_t closed = 0;
	ASSERT_TRUE(recv_obj(idler.fd(), &closed, sizeof(closed), 60000));
	EXPECT_EQ(closed, 1) << "a connection that never says anything is closed";
	EXPECT_EQ(idler.wait(), 0);
}

} // namespace
} // namespace tld::test
