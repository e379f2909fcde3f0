// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The broker protocol decoder: turns one received datagram into a checked Request. Pure
// functions with no fds or syscalls, so the fuzzer (tests/tldd/fuzz_codec.cpp) drives them
// directly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wire/protocol.h"

namespace tld::broker {

struct Request {
	std::uint16_t type = 0;
	std::uint32_t seq = 0;
	std::uint32_t flags = 0;
	std::int32_t tid = 0;
	std::uint32_t page = 0;
	std::uint16_t start = 0;
	std::uint16_t size = 0;
	std::int32_t target = 0; // DUMP: the process to read (tld_broker_dump_req.pid), 0 for all

	bool wants_fd() const
	{
		return type == TLD_BROKER_HELLO || type == TLD_BROKER_SET ||
		       type == TLD_BROKER_BOARD || (flags & TLD_BROKER_F_PIDFD);
	}
};

// Decodes a message of `len` bytes received with recvmsg() flags `msg_flags` and `nfds` file
// descriptors attached. Returns 0, or -errno:
//   -EPROTO           wrong length, magic, truncated data or control data (fatal)
//   -EPROTONOSUPPORT  another protocol version (fatal)
//   -EBADMSG          unknown type or flag, a reserved field set (fatal)
//   -EBADF            an fd missing or one too many for the type
//   -EINVAL           a field out of range (tid, page, start, size, DUMP's pid)
// On -EBADF and -EINVAL *out is still filled so the reply can echo seq and type.
int decode_request(const void *buf, std::size_t len, int msg_flags, int nfds, Request *out);

// Whether a decode error means the peer does not speak the protocol: tldd disconnects it.
bool is_fatal(int err);

// Sends one whole message of `len` bytes on `sock` with `pass_fd` attached by SCM_RIGHTS (none
// if < 0), with sendmsg() `flags` plus MSG_NOSIGNAL. Returns 0, -errno, or -EMSGSIZE if only
// part went. No allocation: the preload's client uses it on the thread-creation path.
int send_message(int sock, const void *msg, std::size_t len, int pass_fd, int flags);

// Messages for send_messages(): `len` bytes at `msg`, with `pass_fd` attached unless < 0.
struct Outgoing {
	const void *msg;
	std::size_t len;
	int pass_fd;
};

// Sends up to 4 messages with one sendmmsg(), each whole and with its own fd, as if by
// send_message() in turn. Returns how many went whole (they go in order), or -errno if none.
int send_messages(int sock, const Outgoing *msgs, unsigned n, int flags);

// Checks a REGISTER's page against a memfd holding `pages` whole pages (page 0 is meta).
// Returns 0 or -ERANGE.
int check_page(const Request &req, std::uint64_t pages);

// The block of board slot `index` (protocol.h, struct tld_broker_board) as the REGISTER that
// would name it: page 1 + index, start TLD_DATA_START, start + size within the page. Returns 0,
// or -EINVAL when `block_size` (the client's word) is not a multiple of 8 between 8 and 4088.
int board_block(std::uint32_t block_size, std::uint32_t index, Request *out);

// A short name for logs ("HELLO", "REGISTER", ..., "type 42").
const char *type_name(std::uint16_t type);

// Fills an event answering `req`.
void make_event(tld_broker_event *ev, const Request &req, std::uint16_t type, int error,
                std::int32_t tid, std::uint32_t dropped);

} // namespace tld::broker
