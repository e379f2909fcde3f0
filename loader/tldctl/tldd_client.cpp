// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "tldd_client.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sys/fd.h"
#include "wire/codec.h"
#include "wire/protocol.h"

namespace tld::ctl {

namespace {

// tldd answers control requests at once; a second is plenty on a loaded machine.
constexpr int kReplyTimeoutMs = 2000;

int connect_to(const std::string &path, Fd *out, std::string *why)
{
	sockaddr_un addr = {};
	addr.sun_family = AF_UNIX;
	if (path.size() >= sizeof(addr.sun_path)) {
		*why = path + ": path too long";
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, path.c_str(), path.size());
	Fd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
	if (!fd || connect(fd.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
		int err = errno;
		*why = "cannot connect to " + path + ": " + strerror(err);
		return -err;
	}
	*out = std::move(fd);
	return 0;
}

// Sends one control request (with @fd attached if >= 0) and waits for its answer; an fd that
// comes with it lands in *passed. @target is DUMP's pid.
int request(int sock, uint16_t type, int fd, tld_broker_event *ev, Fd *passed, std::string *why,
            pid_t target = 0)
{
	tld_broker_dump_req req = {}; // the 32 bytes of every request; only DUMP has a pid
	req.hdr.magic = TLD_BROKER_MAGIC;
	req.hdr.version = TLD_BROKER_VERSION;
	req.hdr.type = type;
	req.hdr.seq = 1;
	req.tid = getpid();
	req.pid = target;
	if (int err = broker::send_message(sock, &req, sizeof(req), fd, 0); err < 0) {
		*why = std::string("sending to tldd: ") + strerror(-err);
		return err;
	}

	pollfd p = {sock, POLLIN, 0};
	if (poll(&p, 1, kReplyTimeoutMs) <= 0) {
		*why = "tldd did not answer";
		return -ETIMEDOUT;
	}
	union {
		cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	iovec iov{ev, sizeof(*ev)};
	msghdr mh{};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	for (cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int got;
			memcpy(&got, CMSG_DATA(c), sizeof(int));
			passed->reset(got);
		}
	}
	if (n != sizeof(*ev) || ev->hdr.magic != TLD_BROKER_MAGIC || ev->req_type != type) {
		*why = "tldd sent no answer to the request";
		return -EPROTO;
	}
	return 0;
}

void read_report(int fd, TlddView &v)
{
	struct stat st;
	tld_broker_report rep;
	if (fstat(fd, &st) || st.st_size < off_t(sizeof(rep)) ||
	    pread(fd, &rep, sizeof(rep), 0) != sizeof(rep) || rep.magic != TLD_BROKER_MAGIC) {
		v.detail_error = "tldd's report is malformed";
		return;
	}
	v.detailed = true;
	v.pid = pid_t(rep.tldd_pid);
	v.clients = rep.clients;
	v.max_clients = rep.max_clients;
	v.max_threads_per_client = rep.max_threads_per_client;
	v.threads = rep.threads;
	v.max_memfd_bytes = rep.max_memfd_bytes;
	v.mapped_bytes = rep.mapped_bytes;
	v.at_thread_limit = rep.at_thread_limit;
}

// The whole of a memfd tldd sealed; -EPROTO if it is not sealed against changes.
int read_sealed(int fd, std::string *out)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (fstat(fd, &st) || seals < 0 || !(seals & F_SEAL_WRITE) || !(seals & F_SEAL_SHRINK))
		return -EPROTO;
	out->resize(size_t(st.st_size));
	for (size_t done = 0; done < out->size();) {
		ssize_t n = pread(fd, out->data() + done, out->size() - done, off_t(done));
		if (n <= 0)
			return -EPROTO;
		done += size_t(n);
	}
	return 0;
}

} // namespace

TlddView query_tldd(const std::string &socket_path)
{
	TlddView v;
	Fd sock;
	if (connect_to(socket_path, &sock, &v.error))
		return v;
	v.up = true;
	tld_broker_event ev;
	Fd report;
	if (int err = request(sock.get(), TLD_BROKER_QUERY, -1, &ev, &report, &v.detail_error)) {
		(void)err;
		return v;
	}
	if (ev.hdr.type != TLD_BROKER_ACK || !report) {
		v.detail_error = ev.error == -EBUSY ? busy_message()
		                                    : std::string("tldd refused QUERY: ") +
		                                              strerror(-ev.error);
		return v;
	}
	read_report(report.get(), v);
	return v;
}

int set_via_tldd(const std::string &socket_path, pid_t pid, pid_t tid, const std::string &key,
                 const std::vector<uint8_t> &value, std::string *why)
{
	tld_broker_set req = {};
	if (key.empty() || key.size() >= sizeof(req.key) || value.empty() ||
	    value.size() > TLD_BROKER_SET_MAX_VALUE) {
		*why = "key or value too long";
		return -EINVAL;
	}
	req.magic = TLD_BROKER_MAGIC;
	req.pid = pid;
	req.tid = tid;
	req.value_size = uint16_t(value.size());
	memcpy(req.key, key.data(), key.size());
	memcpy(req.value, value.data(), value.size());
	// The request travels in a memfd: it does not fit the protocol's 32-byte messages.
	Fd payload(memfd_create("tldctl-set", MFD_CLOEXEC));
	if (!payload || pwrite(payload.get(), &req, sizeof(req), 0) != sizeof(req)) {
		int err = errno;
		*why = std::string("memfd: ") + strerror(err);
		return -err;
	}

	Fd sock;
	if (int err = connect_to(socket_path, &sock, why))
		return err;
	tld_broker_event ev;
	Fd none;
	if (int err = request(sock.get(), TLD_BROKER_SET, payload.get(), &ev, &none, why))
		return err;
	if (ev.hdr.type == TLD_BROKER_ACK)
		return ev.tid;
	if (ev.error == -EBADMSG)
		*why = "this tldd does not accept hint changes (an older version)";
	return ev.error < 0 ? ev.error : -EPROTO;
}

int dump_via_tldd(const std::string &socket_path, pid_t pid, std::string *records, std::string *why)
{
	Fd sock;
	if (int err = connect_to(socket_path, &sock, why))
		return err;
	tld_broker_event ev;
	Fd answer;
	if (int err = request(sock.get(), TLD_BROKER_DUMP, -1, &ev, &answer, why, pid))
		return err;
	if (ev.hdr.type != TLD_BROKER_ACK) {
		if (ev.error == -EBADMSG)
			*why = "this tldd does not answer DUMP (an older version)";
		return ev.error < 0 ? ev.error : -EPROTO;
	}
	if (!answer || ev.tid < 0 || read_sealed(answer.get(), records)) {
		*why = "tldd's answer to DUMP is malformed";
		return -EPROTO;
	}
	return ev.tid;
}

std::string busy_message()
{
	return "tldd is busy: uid " + std::to_string(getuid()) +
	       " made more requests than its control-rate allows; try again in a second";
}

} // namespace tld::ctl
