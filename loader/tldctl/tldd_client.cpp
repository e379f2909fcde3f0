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

Result<Fd> connect_to(const std::string &path)
{
	sockaddr_un addr = {};
	addr.sun_family = AF_UNIX;
	if (path.size() >= sizeof(addr.sun_path))
		return Error{ENAMETOOLONG, path, "path too long"};
	memcpy(addr.sun_path, path.c_str(), path.size());
	Fd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
	if (!fd || connect(fd.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0)
		return error_from_errno("cannot connect to " + path, errno);
	return fd;
}

// Sends one control request (with @fd attached if >= 0) and waits for its answer; an fd that
// comes with it is returned (not valid if none came). @target is DUMP's pid.
Result<Fd> request(int sock, uint16_t type, int fd, tld_broker_event *ev, pid_t target = 0)
{
	tld_broker_dump_req req = {}; // the 32 bytes of every request; only DUMP has a pid
	req.hdr.magic = TLD_BROKER_MAGIC;
	req.hdr.version = TLD_BROKER_VERSION;
	req.hdr.type = type;
	req.hdr.seq = 1;
	req.tid = getpid();
	req.pid = target;
	if (int err = broker::send_message(sock, &req, sizeof(req), fd, 0); err < 0)
		return error_from_errno("sending to tldd", err);

	pollfd p = {sock, POLLIN, 0};
	if (poll(&p, 1, kReplyTimeoutMs) <= 0)
		return Error{ETIMEDOUT, "", "tldd did not answer"};
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
	Fd passed;
	for (cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int got;
			memcpy(&got, CMSG_DATA(c), sizeof(int));
			passed.reset(got);
		}
	}
	if (n != sizeof(*ev) || ev->hdr.magic != TLD_BROKER_MAGIC || ev->req_type != type)
		return Error{EPROTO, "", "tldd sent no answer to the request"};
	return passed;
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
	auto sock = connect_to(socket_path);
	if (!sock) {
		v.error = sock.error().message();
		return v;
	}
	v.up = true;
	tld_broker_event ev;
	auto answer = request(sock->get(), TLD_BROKER_QUERY, -1, &ev);
	if (!answer) {
		v.detail_error = answer.error().message();
		return v;
	}
	const Fd &report = *answer;
	if (ev.hdr.type != TLD_BROKER_ACK || !report) {
		v.detail_error = ev.error == -EBUSY ? busy_message()
		                                    : std::string("tldd refused QUERY: ") +
		                                              strerror(-ev.error);
		return v;
	}
	read_report(report.get(), v);
	return v;
}

Result<int> set_via_tldd(const std::string &socket_path, pid_t pid, pid_t tid,
                         const std::string &key, const std::vector<uint8_t> &value)
{
	tld_broker_set req = {};
	if (key.empty() || key.size() >= sizeof(req.key) || value.empty() ||
	    value.size() > TLD_BROKER_SET_MAX_VALUE)
		return Error{EINVAL, "", "key or value too long"};
	req.magic = TLD_BROKER_MAGIC;
	req.pid = pid;
	req.tid = tid;
	req.value_size = uint16_t(value.size());
	memcpy(req.key, key.data(), key.size());
	memcpy(req.value, value.data(), value.size());
	// The request travels in a memfd: it does not fit the protocol's 32-byte messages.
	Fd payload(memfd_create("tldctl-set", MFD_CLOEXEC));
	if (!payload || pwrite(payload.get(), &req, sizeof(req), 0) != sizeof(req))
		return error_from_errno("memfd", errno);

	auto sock = connect_to(socket_path);
	if (!sock)
		return std::move(sock).error();
	tld_broker_event ev;
	if (auto none = request(sock->get(), TLD_BROKER_SET, payload.get(), &ev); !none)
		return std::move(none).error();
	if (ev.hdr.type == TLD_BROKER_ACK)
		return ev.tid;
	if (ev.error == -EBADMSG)
		return Error{EBADMSG, "",
		             "this tldd does not accept hint changes (an older version)"};
	return ev.error < 0 ? ev.error : -EPROTO;
}

Result<int> dump_via_tldd(const std::string &socket_path, pid_t pid, std::string *records)
{
	auto sock = connect_to(socket_path);
	if (!sock)
		return std::move(sock).error();
	tld_broker_event ev;
	auto answer = request(sock->get(), TLD_BROKER_DUMP, -1, &ev, pid);
	if (!answer)
		return std::move(answer).error();
	if (ev.hdr.type != TLD_BROKER_ACK) {
		if (ev.error == -EBADMSG)
			return Error{EBADMSG, "",
			             "this tldd does not answer DUMP (an older version)"};
		return ev.error < 0 ? ev.error : -EPROTO;
	}
	if (!*answer || ev.tid < 0 || read_sealed(answer->get(), records))
		return Error{EPROTO, "", "tldd's answer to DUMP is malformed"};
	return ev.tid;
}

std::string busy_message()
{
	return "tldd is busy: uid " + std::to_string(getuid()) +
	       " made more requests than its control-rate allows; try again in a second";
}

} // namespace tld::ctl
