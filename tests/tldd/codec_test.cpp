// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The decoder's verdicts, one rule at a time (the fuzzer covers the rest).
#include <cerrno>
#include <cstring>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <tld/abi.h>

#include "request.h"
#include "wire/codec.h"

namespace tld::broker {
namespace {

tld_broker_req make(std::uint16_t type, std::uint32_t flags = 0)
{
	tld_broker_req r{};
	r.hdr = test::request_header(type, 7, flags);
	return r;
}

int decode(const tld_broker_req &r, int nfds, int msg_flags = 0,
           std::size_t len = sizeof(tld_broker_req))
{
	Request out;
	return decode_request(&r, len, msg_flags, nfds, &out);
}

TEST(Codec, Framing)
{
	auto r = make(TLD_BROKER_SYNC);
	EXPECT_EQ(decode(r, 0), 0);
	EXPECT_EQ(decode(r, 0, 0, 31), -EPROTO);
	EXPECT_EQ(decode(r, 0, MSG_TRUNC), -EPROTO);
	EXPECT_EQ(decode(r, 0, MSG_CTRUNC), -EPROTO);
	r.hdr.magic = 1;
	EXPECT_EQ(decode(r, 0), -EPROTO);
	r = make(TLD_BROKER_SYNC);
	r.hdr.version = TLD_BROKER_VERSION + 1;
	EXPECT_EQ(decode(r, 0), -EPROTONOSUPPORT);
	r.hdr.version = 1; // several blocks a page: its starts mean other pages now
	EXPECT_EQ(decode(r, 0), -EPROTONOSUPPORT);
	EXPECT_EQ(decode(make(77), 0), -EBADMSG);
	EXPECT_EQ(decode(make(TLD_BROKER_SYNC, 0x80), 0), -EBADMSG);
	r = make(TLD_BROKER_SYNC);
	r.reserved = 1;
	EXPECT_EQ(decode(r, 0), -EBADMSG);
	EXPECT_EQ(decode(make(TLD_BROKER_SYNC), 1), -EBADF);
	EXPECT_TRUE(is_fatal(-EPROTO) && is_fatal(-EBADMSG) && !is_fatal(-EINVAL));
}

TEST(Codec, BoardAndDoorbell)
{
	EXPECT_EQ(decode(make(TLD_BROKER_BOARD), 1), 0);
	EXPECT_EQ(decode(make(TLD_BROKER_BOARD), 0), -EBADF) << "BOARD carries the memfd";
	EXPECT_EQ(decode(make(TLD_BROKER_DOORBELL), 0), 0);
	EXPECT_EQ(decode(make(TLD_BROKER_DOORBELL), 1), -EBADF);
	EXPECT_EQ(decode(make(TLD_BROKER_DOORBELL, TLD_BROKER_F_PIDFD), 0), -EBADMSG);
	auto r = make(TLD_BROKER_DOORBELL);
	r.tid = 3;
	EXPECT_EQ(decode(r, 0), -EBADMSG) << "the board says who, not the doorbell";
	r = make(TLD_BROKER_BOARD);
	r.page = 1;
	EXPECT_EQ(decode(r, 1), -EBADMSG);
}

TEST(Codec, BoardBlock)
{
	Request w;
	// One block a page, after the page's start word: block i is page 1 + i.
	ASSERT_EQ(board_block(64, 0, &w), 0);
	EXPECT_EQ(w.page, 1u);
	EXPECT_EQ(w.start, unsigned{TLD_DATA_START});
	EXPECT_EQ(w.size, 64u);
	ASSERT_EQ(board_block(64, 65, &w), 0);
	EXPECT_EQ(w.page, 66u);
	EXPECT_EQ(w.start, unsigned{TLD_DATA_START});
	ASSERT_EQ(board_block(4088, 3, &w), 0);
	EXPECT_EQ(w.page, 4u);
	EXPECT_EQ(w.start + w.size, 4096u);
	for (std::uint32_t bad : {0u, 4u, 12u, 4096u, 4104u, 0xffffffffu})
		EXPECT_EQ(board_block(bad, 0, &w), -EINVAL) << bad;
	EXPECT_EQ(board_block(64, 0xffffffffu, &w), -EINVAL) << "page number wraps";
}

TEST(Codec, Register)
{
	auto r = make(TLD_BROKER_REGISTER);
	r.tid = 5;
	r.page = 1;
	r.start = 8;
	r.size = 64;
	EXPECT_EQ(decode(r, 0), 0);
	EXPECT_EQ(decode(r, 1), -EBADF) << "an fd without F_PIDFD";
	auto p = r;
	p.hdr.flags = TLD_BROKER_F_PIDFD;
	EXPECT_EQ(decode(p, 0), -EBADF) << "F_PIDFD without an fd";
	EXPECT_EQ(decode(p, 1), -EINVAL) << "F_PIDFD with a tid";
	p.tid = 0;
	EXPECT_EQ(decode(p, 1), 0);
	auto bad = r;
	bad.page = 0;
	EXPECT_EQ(decode(bad, 0), -EINVAL);
	// One block a page, at TLD_DATA_START (abi.h): any other start is refused.
	for (std::uint16_t start : {0, 12, 16, 64, 4032}) {
		bad = r;
		bad.start = start;
		EXPECT_EQ(decode(bad, 0), -EINVAL) << start;
	}
	bad = r;
	bad.size = 4096 - TLD_DATA_START + 8;
	EXPECT_EQ(decode(bad, 0), -EINVAL);
	bad.size = 4096 - TLD_DATA_START;
	EXPECT_EQ(decode(bad, 0), 0) << "ends exactly at the page end";
	bad = r;
	bad.size = 0;
	EXPECT_EQ(decode(bad, 0), -EINVAL);
	bad = r;
	bad.tid = -3;
	EXPECT_EQ(decode(bad, 0), -EINVAL);
	Request req;
	req.page = 3;
	EXPECT_EQ(check_page(req, 4), 0);
	EXPECT_EQ(check_page(req, 3), -ERANGE);
}

TEST(Codec, HelloAndUnregister)
{
	auto h = make(TLD_BROKER_HELLO);
	h.tid = 42;
	EXPECT_EQ(decode(h, 1), 0);
	EXPECT_EQ(decode(h, 0), -EBADF);
	h.page = 1;
	EXPECT_EQ(decode(h, 1), -EBADMSG);
	auto u = make(TLD_BROKER_UNREGISTER);
	u.tid = 9;
	EXPECT_EQ(decode(u, 0), 0);
	u.size = 1;
	EXPECT_EQ(decode(u, 0), -EBADMSG);
}

} // namespace
} // namespace tld::broker
