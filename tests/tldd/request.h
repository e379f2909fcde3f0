// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// A well-formed protocol header for tests that build requests by hand (the decoder's tests, raw
// connections, a peer without the client library): each test changes one field from here.
#pragma once

#include <cstdint>

#include "wire/protocol.h"

namespace tld::test {

inline tld_broker_hdr request_header(std::uint16_t type, std::uint32_t seq = 0,
                                     std::uint32_t flags = 0)
{
	tld_broker_hdr h{};
	h.magic = TLD_BROKER_MAGIC;
	h.version = TLD_BROKER_VERSION;
	h.type = type;
	h.seq = seq;
	h.flags = flags;
	return h;
}

} // namespace tld::test
