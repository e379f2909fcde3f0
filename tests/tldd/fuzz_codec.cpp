// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// libFuzzer target for the broker protocol decoder. The first byte picks the recvmsg flags and
// the number of attached fds, the rest is the datagram. Besides not crashing, an accepted
// request must satisfy every rule tldd relies on afterwards.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sys/socket.h>

#include <tld/abi.h>

#include "wire/codec.h"

using tld::broker::Request;

static void require(bool ok)
{
	if (!ok)
		__builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	if (size < 1)
		return 0;
	int msg_flags = (data[0] & 1 ? MSG_TRUNC : 0) | (data[0] & 2 ? MSG_CTRUNC : 0);
	int nfds = (data[0] >> 2) & 3;
	Request req;
	int err = tld::broker::decode_request(data + 1, size - 1, msg_flags, nfds, &req);
	if (err) {
		require(err < 0);
		return 0;
	}
	require(size - 1 == TLD_BROKER_MSG_SIZE && msg_flags == 0);
	require(!(req.flags & ~TLD_BROKER_F_KNOWN));
	require(nfds == (req.wants_fd() ? 1 : 0));
	switch (req.type) {
	case TLD_BROKER_REGISTER:
		require(req.page >= 1 && req.size > 0 && req.start == TLD_DATA_START);
		require(static_cast<unsigned>(req.start) + req.size <= TLD_PAGE_SIZE);
		[[fallthrough]];
	case TLD_BROKER_UNREGISTER:
		require((req.flags & TLD_BROKER_F_PIDFD) ? req.tid == 0 : req.tid > 0);
		break;
	case TLD_BROKER_HELLO:
		require(req.tid > 0 && !(req.flags & TLD_BROKER_F_PIDFD));
		break;
	case TLD_BROKER_SYNC:
	case TLD_BROKER_BOARD:
	case TLD_BROKER_DOORBELL:
		require(req.tid == 0 && !(req.flags & TLD_BROKER_F_PIDFD));
		require(!req.page && !req.start && !req.size);
		break;
	case TLD_BROKER_QUERY:
	case TLD_BROKER_SET:
		// Control requests (tldctl): the sender's pid, and a memfd with the value for SET.
		require(req.tid > 0 && !(req.flags & TLD_BROKER_F_PIDFD));
		require(!req.page && !req.start && !req.size && !req.target);
		break;
	case TLD_BROKER_DUMP: {
		// The process to read sits where REGISTER has its page, and is all the body says.
		require(req.tid > 0 && req.target >= 0 && !(req.flags & TLD_BROKER_F_PIDFD));
		require(!req.page && !req.start && !req.size);
		tld_broker_dump_req d;
		memcpy(&d, data + 1, sizeof(d));
		require(d.pid == req.target && d.tid == req.tid && !d.reserved[0] &&
		        !d.reserved[1]);
		break;
	}
	default:
		require(false);
	}
	// A board slot, whatever block size the client claims, names a block REGISTER would accept.
	std::uint32_t block_size, index;
	memcpy(&block_size, data + 1, sizeof(block_size));
	memcpy(&index, data + 1 + sizeof(block_size), sizeof(index));
	index &= (1u << 20) - 1; // tldd maps at most 1 MiB of board
	Request where;
	if (tld::broker::board_block(block_size, index, &where) == 0) {
		require(block_size >= TLD_DATA_ALIGN &&
		        block_size <= TLD_PAGE_SIZE - TLD_DATA_START);
		require(where.page == index + 1 && where.size == block_size);
		require(where.start == TLD_DATA_START);
		require(static_cast<unsigned>(where.start) + where.size <= TLD_PAGE_SIZE);
	}
	// The page check agrees with plain arithmetic for any memfd size.
	std::uint64_t pages = data[size - 1];
	require((tld::broker::check_page(req, pages) == 0) == (req.page < pages));
	tld_broker_event ev;
	tld::broker::make_event(&ev, req, TLD_BROKER_ERROR, -22, req.tid, 0);
	require(ev.hdr.seq == req.seq && ev.req_type == req.type);
	return 0;
}
