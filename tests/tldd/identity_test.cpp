// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// An unprivileged client (uid 65534) tries everything it must not get away with: threads of
// pid 1 and of other processes, non-thread and stale pidfds, bad memfds and offsets, framing
// garbage. Each is rejected with its own error, logged, registers nothing, and tldd keeps
// serving.
#include <atomic>
#include <condition_variable>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mutex>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>

#include "bpffs.h"
#include "client_proc.h"
#include "eventually.h"
#include "harness.h"
#include "request.h"
#include "sys/pidfd_compat.h"

namespace tld::test {
namespace {

enum Case {
	Pid1Pidfd,
	Pid1Tid,
	OtherProcessPidfd,
	OtherProcessTid,
	ProcessPidfd,
	StalePidfd,
	MissingPidfd,
	StaleTid,
	PagePastMemfd,
	BlockCrossesPage,
	UnalignedStart,
	MetaPage,
	SecondHello,
	UnsealedMemfd,
	RegisterAfterFailedHello,
	MemfdTooBig,
	NotAMemfd,
	ShortMessage,
	WrongVersion,
	WrongMagic,
	RegisterBeforeHello,
	TooManyThreads,
	kCases
};

struct Outcome {
	std::int32_t error[kCases];
	std::uint8_t closed[kCases];
	std::int32_t live_tid;
};

constexpr std::int32_t kExpected[kCases] = {
        -EPERM,  -EPERM,  -EPERM,           -EPERM,  -EINVAL,   -ESRCH,  -EBADF,    -ESRCH,
        -ERANGE, -EINVAL, -EINVAL,          -EINVAL, -EALREADY, -EINVAL, -ENOTCONN, -E2BIG,
        -EBADF,  -EPROTO, -EPROTONOSUPPORT, -EPROTO, -ENOTCONN, -EDQUOT,
};
// Cases after which tldd must hang up: the peer does not speak the protocol.
bool fatal(int k)
{
	return k == NotAMemfd || k == ShortMessage || k == WrongVersion || k == WrongMagic;
}

std::int32_t error_of(RawConn &c)
{
	auto ev = c.error_before_sync(5000);
	return ev ? ev->error : 0;
}

// Runs in the forked client after it became uid 65534.
int misbehave(int fd, const std::string &socket, pid_t test_pid)
{
	if (!become_nobody())
		return 20;
	Outcome out{};
	Arena arena = Arena::create(4);
	RawConn a;
	if (a.connect(socket) != 0)
		return 21;
	a.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, arena.fd.get());
	if (error_of(a) != 0)
		return 22;
	auto reg_pidfd = [&](Case c, int pidfd) {
		a.send(TLD_BROKER_REGISTER, TLD_BROKER_F_PIDFD, 0, 1, TLD_DATA_START, 64, pidfd);
		out.error[c] = error_of(a);
	};
	auto reg_tid = [&](Case c, pid_t tid, std::uint32_t page = 1,
	                   std::uint16_t start = TLD_DATA_START, std::uint16_t size = 64) {
		a.send(TLD_BROKER_REGISTER, 0, tid, page, start, size);
		out.error[c] = error_of(a);
	};

	Fd pid1(sys::pidfd_open(1, PIDFD_THREAD));
	reg_pidfd(Pid1Pidfd, pid1.get());
	reg_tid(Pid1Tid, 1);
	Fd other(sys::pidfd_open(test_pid, PIDFD_THREAD));
	reg_pidfd(OtherProcessPidfd, other.get());
	reg_tid(OtherProcessTid, test_pid);
	Fd process(sys::pidfd_open(getpid(), 0));
	reg_pidfd(ProcessPidfd, process.get());
	Fd stale;
	pid_t stale_tid = 0;
	std::thread([&] {
		stale_tid = gettid_now();
		stale.reset(sys::pidfd_open(stale_tid, PIDFD_THREAD));
	}).join();
	// Joined is not yet reaped: wait until the task is gone from /proc.
	eventually([&] {
		return access(("/proc/self/task/" + std::to_string(stale_tid)).c_str(), F_OK) != 0;
	});
	reg_pidfd(StalePidfd, stale.get());
	a.send(TLD_BROKER_REGISTER, TLD_BROKER_F_PIDFD, 0, 1, TLD_DATA_START, 64); // no fd
	out.error[MissingPidfd] = error_of(a);
	reg_tid(StaleTid, stale_tid);
	pid_t me = gettid_now();
	reg_tid(PagePastMemfd, me, 10);
	reg_tid(BlockCrossesPage, me, 1, 4064, 64);
	reg_tid(UnalignedStart, me, 1, 12, 8);
	reg_tid(MetaPage, me, 0);
	a.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, arena.fd.get());
	out.error[SecondHello] = error_of(a);

	RawConn b;
	Arena unsealed = Arena::create(4, false);
	b.connect(socket);
	b.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, unsealed.fd.get());
	out.error[UnsealedMemfd] = error_of(b);
	b.send(TLD_BROKER_REGISTER, 0, me, 1, TLD_DATA_START, 64);
	out.error[RegisterAfterFailedHello] = error_of(b);

	RawConn c;
	Arena big = Arena::create(64); // tldd runs with --max-memfd-bytes 65536
	c.connect(socket);
	c.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, big.fd.get());
	out.error[MemfdTooBig] = error_of(c);

	auto fatal_case = [&](Case k, auto &&send_it) {
		RawConn r;
		r.connect(socket);
		send_it(r);
		auto ev = r.event(5000);
		out.error[k] = ev ? ev->error : 0;
		out.closed[k] = r.closed_by_peer(5000);
	};
	fatal_case(NotAMemfd, [&](RawConn &r) {
		Fd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
		r.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, devnull.get());
	});
	fatal_case(ShortMessage, [&](RawConn &r) {
		char junk[16] = "not a message";
		r.send_bytes(junk, sizeof(junk));
	});
	fatal_case(WrongVersion, [&](RawConn &r) {
		tld_broker_req req{};
		req.hdr = request_header(TLD_BROKER_SYNC);
		req.hdr.version = 99;
		r.send_bytes(&req, sizeof(req));
	});
	fatal_case(WrongMagic, [&](RawConn &r) {
		tld_broker_req req{};
		req.hdr = request_header(0);
		req.hdr.magic = 0xdeadbeef;
		r.send_bytes(&req, sizeof(req));
	});

	RawConn d;
	d.connect(socket);
	d.send(TLD_BROKER_REGISTER, 0, me, 1, TLD_DATA_START, 64);
	out.error[RegisterBeforeHello] = error_of(d);

	// --max-threads-per-client 4: the fifth live thread is refused.
	RawConn e;
	Arena small = Arena::create(6);
	e.connect(socket);
	e.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, small.fd.get());
	std::mutex mu;
	std::condition_variable cv;
	bool done = false;
	std::vector<std::thread> live;
	std::atomic<int> started{0};
	std::vector<pid_t> tids(5);
	for (int i = 0; i < 5; i++)
		live.emplace_back([&, i] {
			tids[i] = gettid_now();
			started++;
			std::unique_lock lock(mu);
			cv.wait(lock, [&] { return done; });
		});
	eventually([&] { return started.load() >= 5; });
	for (int i = 0; i < 4; i++)
		e.send(TLD_BROKER_REGISTER, 0, tids[i], 1 + i, TLD_DATA_START, 64);
	if (error_of(e) != 0)
		return 23;
	e.send(TLD_BROKER_REGISTER, 0, tids[4], 5, TLD_DATA_START, 64);
	out.error[TooManyThreads] = error_of(e);

	// After all that, the same connection still registers its own thread.
	*arena.slot(1, TLD_DATA_START) = 0x4242;
	a.send(TLD_BROKER_REGISTER, 0, me, 1, TLD_DATA_START, 64);
	if (error_of(a) != 0)
		return 24;
	out.live_tid = me;
	send_obj(fd, &out, sizeof(out));
	char quit;
	recv_obj(fd, &quit, 1, 60000);
	{
		std::lock_guard lock(mu);
		done = true;
	}
	cv.notify_all();
	for (auto &t : live)
		t.join();
	return 0;
}

TEST(Identity, EveryRejectionIsClearLoggedAndHarmless)
{
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());
	Tldd tldd{bpffs.path()};
	std::string why;
	ASSERT_TRUE(tldd.start_ready(
	        {"--max-memfd-bytes", "65536", "--max-threads-per-client", "4"}, &why))
	        << why;
	Probe probe;
	ASSERT_EQ(probe.load(tldd.pin_root + "/tld_data_map"), "");

	pid_t test_pid = getpid();
	Child child =
	        Child::spawn([&](int fd) { return misbehave(fd, tldd.socket_path, test_pid); });
	Outcome out{};
	ASSERT_TRUE(recv_obj(child.fd(), &out, sizeof(out), 60000))
	        << "client exited with " << child.wait() << "\n"
	        << tldd.log();
	for (int k = 0; k < kCases; k++) {
		EXPECT_EQ(out.error[k], kExpected[k]) << "case " << k;
		EXPECT_EQ(out.closed[k] != 0, fatal(k)) << "case " << k;
	}

	// Nothing was registered for anyone else, and the client's own good request worked.
	EXPECT_EQ(probe.has_entry(1), 0) << "pid 1 must have no entry";
	EXPECT_EQ(probe.has_entry(test_pid), 0) << "the test process must have no entry";
	EXPECT_EQ(probe.has_entry(out.live_tid), 1);
	ProbeResult live = probe.read_tid(out.live_tid);
	EXPECT_EQ(live.found, 1);
	EXPECT_EQ(live.value, 0x4242u);

	// Each rejection is in the log with its reason.
	std::string log = tldd.log();
	for (const char *reason : {"thread of another process", "process pidfd, not a thread pidfd",
	                           "No such process", "page beyond the memfd", "not sealed",
	                           "larger than --max-memfd-bytes", "neither a pidfd nor a memfd",
	                           "malformed message", "REGISTER before a successful HELLO",
	                           "--max-threads-per-client", "second HELLO", "Invalid argument"})
		EXPECT_NE(log.find(reason), std::string::npos) << reason << "\n" << log;

	char quit = 'q';
	send_obj(child.fd(), &quit, 1);
	EXPECT_EQ(child.wait(), 0);

	// Still serving.
	ClientProc again = ClientProc::spawn(tldd.socket_path, true);
	ClientReply rep;
	ASSERT_TRUE(again.start_threads(2, 7, &rep));
	EXPECT_EQ(rep.err, 0);
	EXPECT_EQ(probe.read_tid(rep.t[1].tid).value, 8u);
	again.quit();
}

// A client that floods tldd with bad requests and never reads its events costs only itself:
// tldd drops its undeliverable events (and says so later), logs a bounded number of lines, and
// keeps serving the others meanwhile.
TEST(Identity, FloodingSilentClientCostsOnlyItself)
{
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());
	chmod(bpffs.path().c_str(), 0711);
	Tldd tldd{bpffs.path()};
	std::string why;
	ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
	Probe probe;
	ASSERT_EQ(probe.load(tldd.pin_root + "/tld_data_map"), "");

	RawConn flood;
	ASSERT_EQ(flood.connect(tldd.socket_path), 0);
	Arena arena = Arena::create(2);
	flood.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, arena.fd.get());
	// Forked before the flooding thread starts: fork() beside running threads is unsafe.
	ClientProc other = ClientProc::spawn(tldd.socket_path, true);
	constexpr int kFlood = 20000;
	std::thread flooder([&] {
		for (int i = 0; i < kFlood; i++) // page 7 of a 2-page memfd: -ERANGE each
			flood.send(TLD_BROKER_REGISTER, 0, gettid_now(), 7, TLD_DATA_START, 64);
	});
	ClientReply rep;
	ASSERT_TRUE(other.start_threads(4, 0x300, &rep));
	EXPECT_EQ(rep.err, 0);
	EXPECT_EQ(probe.read_tid(rep.t[3].tid).value, 0x303u);
	flooder.join();

	// One more request, then read everything up to its answer: tldd is still answering, and
	// every flood event was either delivered or counted as dropped in a later one. The
	// sentinel's own answer is dropped too if the socket is still full when tldd sends it:
	// then the next sentinel's answer counts it, so each sentinel sent but not seen is one
	// more drop. Resending only after a quiet second keeps sentinels few. Each sentinel has a
	// sequence number of its own: an answer that comes after a later sentinel was sent (tldd
	// was slow, not full) then still counts only the sentinels before it.
	constexpr std::uint32_t kLast = 0xf1f1f1, kMaxSentinels = 30;
	std::uint32_t delivered = 0, dropped = 0, sent = 0, sentinels = 0;
	std::optional<tld_broker_event> last;
	while (!last && sent < kMaxSentinels) {
		flood.send(TLD_BROKER_REGISTER, 0, gettid_now(), 7, TLD_DATA_START, 64, -1,
		           kLast + sent);
		sent++;
		while (auto e = flood.event(1000)) {
			dropped += e->dropped;
			if (e->hdr.seq >= kLast && e->hdr.seq < kLast + kMaxSentinels) {
				last = e;
				sentinels = e->hdr.seq - kLast +
				            1; // this one and those dropped before it
				break;
			}
			delivered++;
		}
	}
	ASSERT_TRUE(last.has_value()) << "tldd stopped answering a client that floods it";
	EXPECT_EQ(last->error, -ERANGE);
	EXPECT_GT(dropped, 0u) << "tldd must drop, not wait for, a client that does not read";
	EXPECT_EQ(delivered + dropped, static_cast<std::uint32_t>(kFlood) + sentinels - 1);

	std::string log = tldd.log();
	std::size_t lines = 0;
	for (std::size_t pos = 0; (pos = log.find(") rejected: ", pos)) != std::string::npos; pos++)
		lines++;
	EXPECT_LE(lines, 20u) << "a flood must not flood the log";
	EXPECT_NE(log.find("further rejections are not logged"), std::string::npos);
	other.quit();
}

// A client in another pid namespace: its tids mean nothing to tldd, so tid requests are refused
// (-EXDEV) while thread pidfds work.
TEST(Identity, OtherPidNamespaceMustSendPidfds)
{
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());
	Tldd tldd{bpffs.path()};
	std::string why;
	ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
	Probe probe;
	ASSERT_EQ(probe.load(tldd.pin_root + "/tld_data_map"), "");
	std::string socket = tldd.socket_path;
	Child child = Child::spawn([&](int fd) {
		if (unshare(CLONE_NEWPID) != 0)
			return 40;
		pid_t inner = fork();
		if (inner == 0) { // pid 1 of the new namespace
			Arena arena = Arena::create(4);
			*arena.slot(1, TLD_DATA_START) = 0x99;
			RawConn r;
			std::int32_t res[2] = {1, 1};
			if (r.connect(socket) == 0) {
				r.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, arena.fd.get());
				r.send(TLD_BROKER_REGISTER, 0, gettid_now(), 1, TLD_DATA_START, 64);
				res[0] = error_of(r);
				Fd pfd(sys::pidfd_open(gettid_now(), PIDFD_THREAD));
				r.send(TLD_BROKER_REGISTER, TLD_BROKER_F_PIDFD, 0, 1,
				       TLD_DATA_START, 64, pfd.get());
				res[1] = error_of(r);
			}
			send_obj(fd, res, sizeof(res));
			char quit;
			recv_obj(fd, &quit, 1, 60000);
			_exit(0);
		}
		send_obj(fd, &inner, sizeof(inner));
		int status = 0;
		waitpid(inner, &status, 0);
		return 0;
	});
	pid_t outer_pid = 0;
	std::int32_t res[2] = {};
	ASSERT_TRUE(recv_obj(child.fd(), &outer_pid, sizeof(outer_pid), 30000));
	ASSERT_TRUE(recv_obj(child.fd(), res, sizeof(res), 30000));
	EXPECT_EQ(res[0], -EXDEV) << "a tid from another pid namespace";
	EXPECT_EQ(res[1], 0) << "a thread pidfd works from any namespace";
	ProbeResult r = probe.read_tid(outer_pid);
	EXPECT_EQ(r.found, 1);
	EXPECT_EQ(r.value, 0x99u);
	char quit = 'q';
	send_obj(child.fd(), &quit, 1);
	EXPECT_EQ(child.wait(), 0);
}

} // namespace
} // namespace tld::test
