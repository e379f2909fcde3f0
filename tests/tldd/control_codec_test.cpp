// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The decoder's verdicts on tldctl's control requests (QUERY, SET, DUMP) to tldd.
#include <cerrno>
#include <gtest/gtest.h>

#include "request.h"
#include "wire/codec.h"

namespace tld::broker {
namespace {

int decode(std::uint16_t type, std::int32_t tid, int nfds, std::uint32_t flags = 0,
           std::uint32_t page = 0)
{
	tld_broker_req r{};
	r.hdr = test::request_header(type, 0, flags);
	r.tid = tid;
	r.page = page;
	Request out;
	return decode_request(&r, sizeof(r), 0, nfds, &out);
}

TEST(ControlCodec, QueryAndSet)
{
	EXPECT_EQ(decode(TLD_BROKER_QUERY, 42, 0), 0);
	EXPECT_EQ(decode(TLD_BROKER_QUERY, 42, 1), -EBADF);
	EXPECT_EQ(decode(TLD_BROKER_QUERY, 0, 0), -EINVAL); // the client's pid is required
	EXPECT_EQ(decode(TLD_BROKER_QUERY, 42, 0, TLD_BROKER_F_PIDFD), -EBADMSG);
	EXPECT_EQ(decode(TLD_BROKER_QUERY, 42, 0, 0, 1), -EBADMSG);
	EXPECT_EQ(decode(TLD_BROKER_SET, 42, 1), 0);
	EXPECT_EQ(decode(TLD_BROKER_SET, 42, 0), -EBADF); // the payload memfd is required
	EXPECT_EQ(decode(TLD_BROKER_SET, -1, 1), -EINVAL);
	EXPECT_STREQ(type_name(TLD_BROKER_QUERY), "QUERY");
	EXPECT_STREQ(type_name(TLD_BROKER_SET), "SET");
	Request set;
	set.type = TLD_BROKER_SET;
	EXPECT_TRUE(set.wants_fd());
}

int decode_dump(std::int32_t tid, std::int32_t pid, int nfds, Request *out, std::uint32_t flags = 0,
                std::uint32_t reserved0 = 0, std::uint32_t reserved1 = 0)
{
	tld_broker_dump_req d{};
	d.hdr = test::request_header(TLD_BROKER_DUMP, 9, flags);
	d.tid = tid;
	d.pid = pid;
	d.reserved[0] = reserved0;
	d.reserved[1] = reserved1;
	return decode_request(&d, sizeof(d), 0, nfds, out);
}

TEST(ControlCodec, Dump)
{
	Request out;
	EXPECT_EQ(decode_dump(42, 0, 0, &out), 0); // every process the caller may read
	EXPECT_EQ(out.target, 0);
	EXPECT_EQ(decode_dump(42, 1234, 0, &out), 0);
	EXPECT_EQ(out.type, TLD_BROKER_DUMP);
	EXPECT_EQ(out.tid, 42);
	EXPECT_EQ(out.target, 1234);
	EXPECT_EQ(out.page, 0u) << "DUMP's pid is not a page";
	EXPECT_EQ(out.seq, 9u);
	EXPECT_FALSE(out.wants_fd());
	EXPECT_EQ(decode_dump(42, 1234, 1, &out), -EBADF);
	EXPECT_EQ(decode_dump(0, 1234, 0, &out), -EINVAL); // the client's pid is required
	EXPECT_EQ(decode_dump(42, -1, 0, &out), -EINVAL);
	EXPECT_EQ(out.seq, 9u) << "an invalid request still names itself for the reply";
	EXPECT_EQ(decode_dump(42, 1, 0, &out, TLD_BROKER_F_PIDFD), -EBADMSG);
	EXPECT_EQ(decode_dump(42, 1, 0, &out, 0, 1), -EBADMSG);
	EXPECT_EQ(decode_dump(42, 1, 0, &out, 0, 0, 1), -EBADMSG);
	EXPECT_STREQ(type_name(TLD_BROKER_DUMP), "DUMP");
}

} // namespace
} // namespace tld::broker
