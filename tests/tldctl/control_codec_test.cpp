// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The decoder's verdicts on tldctl's control requests (QUERY, SET) to tldd.
#include <cerrno>
#include <gtest/gtest.h>

#include "codec.h"

namespace tld::broker {
namespace {

int decode(std::uint16_t type, std::int32_t tid, int nfds, std::uint32_t flags = 0,
           std::uint32_t page = 0)
{
	tld_broker_req r{};
	r.hdr.magic = TLD_BROKER_MAGIC;
	r.hdr.version = TLD_BROKER_VERSION;
	r.hdr.type = type;
	r.hdr.flags = flags;
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

} // namespace
} // namespace tld::broker
