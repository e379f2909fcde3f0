// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// SYNC storms (issue 10, item 4): a uid 65534 client fills a 1 MiB board (131,068 slots) with
// its own thread, bumps every generation and sends SYNC, again and again. Old tldd rescanned and
// re-registered the whole board for each SYNC on its only thread (about 2 s each), and a
// well-behaved client waited seconds. Now a scan runs in bounded steps, and a board naming one
// thread in many slots gets its client disconnected.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include "bpffs.h"
#include "harness.h"

namespace tld::test {
namespace {

constexpr std::size_t kBoardBytes = 1u << 20;
constexpr std::uint32_t kSlots = (kBoardBytes - TLD_BROKER_BOARD_SLOTS) / 8;

// The storm; reports 'S' after its first SYNC, then how many SYNCs were answered and whether
// tldd closed the connection.
int storm(const std::string &socket, int report)
{
	if (!become_nobody())
		return 10;
	// One block a data page: the first 4,095 slots name blocks of this 16 MiB arena (the
	// --max-memfd-bytes default), the rest pages past it, each refused after its identity
	// checks.
	Arena arena = Arena::create(4096);
	Fd board(memfd_create("tld-storm-board", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (!arena.base || !board || ftruncate(board.get(), kBoardBytes) != 0 ||
	    fcntl(board.get(), F_ADD_SEALS, F_SEAL_SHRINK) != 0)
		return 11;
	void *m = mmap(nullptr, kBoardBytes, PROT_READ | PROT_WRITE, MAP_SHARED, board.get(), 0);
	if (m == MAP_FAILED)
		return 12;
	auto *hdr = static_cast<tld_broker_board *>(m);
	auto *slots =
	        reinterpret_cast<std::uint64_t *>(static_cast<char *>(m) + TLD_BROKER_BOARD_SLOTS);
	hdr->magic = TLD_BROKER_BOARD_MAGIC;
	hdr->block_size = 8;
	hdr->high_water = kSlots;
	RawConn conn;
	if (conn.connect(socket) != 0 ||
	    conn.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, arena.fd.get()) != 0 ||
	    conn.send(TLD_BROKER_BOARD, 0, 0, 0, 0, 0, board.get()) != 0)
		return 13;
	const pid_t tid = gettid_now();
	std::int32_t answered = 0, closed = 0;
	for (int round = 1; round <= 20 && !closed; round++) {
		for (std::uint32_t i = 0; i < kSlots; i++)
			slots[i] = (std::uint64_t(round) << 32) | std::uint32_t(tid);
		if (conn.send(TLD_BROKER_SYNC, 0, 0, 0, 0, 0, -1, 1000 + round) != 0) {
			closed = 1;
			break;
		}
		if (round == 1) {
			char s = 'S';
			send_obj(report, &s, 1);
		}
		// Until the SYNC's answer, or tldd hangs up.
		for (;;) {
			auto ev = conn.event(60000);
			if (!ev) {
				closed = 1;
				break;
			}
			if (ev->hdr.type == TLD_BROKER_ACK && ev->hdr.seq == 1000u + round) {
				answered++;
				break;
			}
		}
	}
	send_obj(report, &answered, sizeof(answered));
	send_obj(report, &closed, sizeof(closed));
	return 0;
}

TEST(SyncStorm, AFullBoardOfOneThreadKeepsNobodyWaiting)
{
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());
	Tldd tldd{bpffs.path()};
	std::string why;
	ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
	const std::string socket = tldd.socket_path;
	Child attacker = Child::spawn([socket](int fd) { return storm(socket, fd); });
	char s = 0;
	ASSERT_TRUE(recv_obj(attacker.fd(), &s, 1, 60000)) << attacker.wait();

	// A well-behaved client registers its thread five times over, each answered within a
	// second (one step of a scan takes milliseconds; old tldd's SYNC held it 2 s).
	Arena arena = Arena::create(2);
	RawConn conn;
	ASSERT_EQ(conn.connect(socket), 0);
	ASSERT_EQ(conn.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, arena.fd.get()), 0);
	for (std::uint32_t k = 0; k < 5; k++) {
		ASSERT_EQ(conn.send(TLD_BROKER_REGISTER, TLD_BROKER_F_ACK, gettid_now(), 1,
		                    TLD_DATA_START, 64, -1, 500 + k),
		          0);
		auto ev = conn.event(1000);
		ASSERT_TRUE(ev.has_value()) << "registration " << k << " not served within 1 s";
		EXPECT_EQ(ev->hdr.type, TLD_BROKER_ACK) << ev->error;
	}

	std::int32_t answered = -1, closed = -1;
	ASSERT_TRUE(recv_obj(attacker.fd(), &answered, sizeof(answered), 240000));
	ASSERT_TRUE(recv_obj(attacker.fd(), &closed, sizeof(closed), 10000));
	EXPECT_EQ(closed, 1) << "the storm ran its 20 rounds (" << answered << " answered)";
	EXPECT_NE(tldd.log().find("board names one thread in many slots"), std::string::npos)
	        << tldd.log();
	EXPECT_EQ(attacker.wait(), 0);
}

} // namespace
} // namespace tld::test
