// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "wire/codec.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>

#include <tld/abi.h>

namespace tld::broker {

int decode_request(const void *buf, std::size_t len, int msg_flags, int nfds, Request *out)
{
	*out = Request{};
	// SEQPACKET delivers whole messages; a truncated one means the sender broke the framing.
	if (len != sizeof(tld_broker_req) || (msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -EPROTO;
	tld_broker_req m;
	memcpy(&m, buf, sizeof(m));
	if (m.hdr.magic != TLD_BROKER_MAGIC)
		return -EPROTO;
	if (m.hdr.version != TLD_BROKER_VERSION)
		return -EPROTONOSUPPORT;

	out->type = m.hdr.type;
	out->seq = m.hdr.seq;
	out->flags = m.hdr.flags;
	out->tid = m.tid;
	out->page = m.page;
	out->start = m.start;
	out->size = m.size;

	if (m.hdr.flags & ~TLD_BROKER_F_KNOWN || m.reserved)
		return -EBADMSG;
	const bool pidfd = m.hdr.flags & TLD_BROKER_F_PIDFD;
	switch (m.hdr.type) {
	case TLD_BROKER_HELLO:
		// .tid is the client's own idea of its pid: it tells tldd whether the client
		// shares its pid namespace (only then can tids be resolved).
		if (pidfd || m.page || m.start || m.size)
			return -EBADMSG;
		if (nfds != 1)
			return -EBADF;
		if (m.tid <= 0)
			return -EINVAL;
		return 0;
	case TLD_BROKER_REGISTER:
		if (nfds != (pidfd ? 1 : 0))
			return -EBADF;
		if (pidfd ? m.tid != 0 : m.tid <= 0)
			return -EINVAL;
		// Page 0 is the meta page; a data page holds one block, after its start word.
		if (m.page < 1 || m.start != TLD_DATA_START || m.size == 0 ||
		    static_cast<unsigned>(m.start) + m.size > TLD_PAGE_SIZE)
			return -EINVAL;
		return 0;
	case TLD_BROKER_UNREGISTER:
		if (m.page || m.start || m.size)
			return -EBADMSG;
		if (nfds != (pidfd ? 1 : 0))
			return -EBADF;
		if (pidfd ? m.tid != 0 : m.tid <= 0)
			return -EINVAL;
		return 0;
	case TLD_BROKER_SYNC:
		if (pidfd || m.tid || m.page || m.start || m.size)
			return -EBADMSG;
		if (nfds != 0)
			return -EBADF;
		return 0;
	case TLD_BROKER_BOARD:
	case TLD_BROKER_DOORBELL:
		if (pidfd || m.tid || m.page || m.start || m.size)
			return -EBADMSG;
		if (nfds != (m.hdr.type == TLD_BROKER_BOARD ? 1 : 0))
			return -EBADF;
		return 0;
	case TLD_BROKER_QUERY:
	case TLD_BROKER_SET:
		// Control requests (tldctl): .tid is the client's getpid(), as in HELLO.
		if (pidfd || m.page || m.start || m.size)
			return -EBADMSG;
		if (nfds != (m.hdr.type == TLD_BROKER_SET ? 1 : 0))
			return -EBADF;
		if (m.tid <= 0)
			return -EINVAL;
		return 0;
	case TLD_BROKER_DUMP: {
		// The same 32 bytes, read as what they are for DUMP: its pid is where page is.
		tld_broker_dump_req d;
		memcpy(&d, buf, sizeof(d));
		out->page = 0;
		out->target = d.pid;
		if (pidfd || d.reserved[0] || d.reserved[1])
			return -EBADMSG;
		if (nfds != 0)
			return -EBADF;
		if (d.tid <= 0 || d.pid < 0)
			return -EINVAL;
		return 0;
	}
	default:
		return -EBADMSG;
	}
}

namespace {

union FdControl {
	cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

// Points `mh` at one message and, if pass_fd >= 0, an SCM_RIGHTS of it built in `ctl`.
void build_message(msghdr *mh, iovec *iov, FdControl *ctl, const void *msg, std::size_t len,
                   int pass_fd)
{
	*iov = iovec{const_cast<void *>(msg), len};
	*mh = msghdr{};
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	if (pass_fd < 0)
		return;
	*ctl = FdControl{};
	mh->msg_control = ctl->buf;
	mh->msg_controllen = sizeof(ctl->buf);
	cmsghdr *c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
}

} // namespace

int send_message(int sock, const void *msg, std::size_t len, int pass_fd, int flags)
{
	iovec iov;
	msghdr mh;
	FdControl ctl;
	build_message(&mh, &iov, &ctl, msg, len, pass_fd);
	ssize_t n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	if (n == static_cast<ssize_t>(len))
		return 0;
	return n < 0 ? -errno : -EMSGSIZE;
}

int send_messages(int sock, const Outgoing *msgs, unsigned n, int flags)
{
	constexpr unsigned kMax = 4;
	if (n == 0 || n > kMax)
		return -EINVAL;
	mmsghdr mm[kMax] = {};
	iovec iov[kMax];
	FdControl ctl[kMax];
	for (unsigned i = 0; i < n; i++)
		build_message(&mm[i].msg_hdr, &iov[i], &ctl[i], msgs[i].msg, msgs[i].len,
		              msgs[i].pass_fd);
	int sent = sendmmsg(sock, mm, n, flags | MSG_NOSIGNAL);
	if (sent < 0)
		return -errno;
	for (int i = 0; i < sent; i++)
		if (mm[i].msg_len != msgs[i].len)
			return i; // a partial datagram does not happen on SOCK_SEQPACKET
	return sent;
}

bool is_fatal(int err)
{
	return err == -EPROTO || err == -EPROTONOSUPPORT || err == -EBADMSG;
}

int check_page(const Request &req, std::uint64_t pages)
{
	return req.page < pages ? 0 : -ERANGE;
}

int board_block(std::uint32_t block_size, std::uint32_t index, Request *out)
{
	if (block_size < TLD_DATA_ALIGN || block_size > TLD_PAGE_SIZE - TLD_DATA_START ||
	    block_size % TLD_DATA_ALIGN || index >= UINT32_MAX - 1)
		return -EINVAL;
	*out = Request{};
	out->type = TLD_BROKER_REGISTER;
	out->tid = 0;
	out->page = 1 + index;
	out->start = TLD_DATA_START;
	out->size = static_cast<std::uint16_t>(block_size);
	return 0;
}

const char *type_name(std::uint16_t type)
{
	switch (type) {
	case TLD_BROKER_HELLO:
		return "HELLO";
	case TLD_BROKER_REGISTER:
		return "REGISTER";
	case TLD_BROKER_UNREGISTER:
		return "UNREGISTER";
	case TLD_BROKER_SYNC:
		return "SYNC";
	case TLD_BROKER_QUERY:
		return "QUERY";
	case TLD_BROKER_SET:
		return "SET";
	case TLD_BROKER_BOARD:
		return "BOARD";
	case TLD_BROKER_DOORBELL:
		return "DOORBELL";
	case TLD_BROKER_DUMP:
		return "DUMP";
	case TLD_BROKER_ERROR:
		return "ERROR";
	case TLD_BROKER_ACK:
		return "ACK";
	default:
		return "unknown";
	}
}

void make_event(tld_broker_event *ev, const Request &req, std::uint16_t type, int error,
                std::int32_t tid, std::uint32_t dropped)
{
	*ev = tld_broker_event{};
	ev->hdr.magic = TLD_BROKER_MAGIC;
	ev->hdr.version = TLD_BROKER_VERSION;
	ev->hdr.type = type;
	ev->hdr.seq = req.seq;
	ev->error = error;
	ev->req_type = req.type;
	ev->tid = tid;
	ev->dropped = dropped;
}

} // namespace tld::broker
