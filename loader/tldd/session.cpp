// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "session.h"

#include <bpf/bpf.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <tld/abi.h>

#include "log.h"
#include "sys/pidfd_compat.h"

namespace tld::tldd {

namespace {

using broker::Request;

// Rejections logged per client before going quiet: a flood must not flood the journal too.
constexpr unsigned kLogBurst = 16;

} // namespace

Session::Session(Fd sock, Peer peer, const SessionContext &ctx)
    : sock_(std::move(sock)), peer_(std::move(peer)), ctx_(ctx)
{
	LOG_D("client pid %d uid %u connected%s", peer_.tgid, peer_.uid,
	      peer_.weak ? " (identity from SO_PEERCRED)" : "");
}

Session::~Session()
{
	// Registrations of still-running threads stay: their pins hold the pages, not this
	// mapping (docs/broker.md, "Disconnect").
	if (map_)
		munmap(map_, pages_ * TLD_PAGE_SIZE);
	if (board_)
		munmap(board_, board_bytes_);
	// The socket's queue may still hold messages with fds, whose final close the kernel would
	// run on the thread closing the socket; the memfds could be large: none of it here.
	ctx_.closer->close_later(peer_.uid, std::move(sock_));
	ctx_.closer->close_later(peer_.uid, std::move(memfd_));
	ctx_.closer->close_later(peer_.uid, std::move(board_fd_));
	LOG_I("client pid %d uid %u gone: %llu registered, %llu rejected, %zu threads tracked",
	      peer_.tgid, peer_.uid, static_cast<unsigned long long>(registered_),
	      static_cast<unsigned long long>(rejected_), threads_.size());
}

void Session::refuse(int sock, int error)
{
	tld_broker_event ev;
	broker::make_event(&ev, Request{}, TLD_BROKER_ERROR, error, 0, 0);
	send(sock, &ev, sizeof(ev), MSG_DONTWAIT | MSG_NOSIGNAL);
}

bool Session::on_readable(unsigned budget)
{
	if (sync_waiting_)
		return !fatal_; // messages after a SYNC wait for its answer
	for (unsigned i = 0; i < budget && !fatal_; i++) {
		if (!handle_one())
			break;
	}
	return !fatal_;
}

// Handles one queued message. Returns false when there is nothing more to do this round:
// the queue is empty, or the session must end (then fatal_ is set).
bool Session::handle_one()
{
	// fds this uid handed tldd that are not closed yet: too many, or a close stuck, and the
	// client gets no more in (fd_closer.h). Its socket stops taking fds, and it goes.
	if (!ctx_.closer->can_take(peer_.uid)) {
		int off = 0;
		setsockopt(sock_.get(), SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off));
		LOG_W("client pid %d uid %u: %zu of its fds are not closed yet (a close blocks); "
		      "disconnecting",
		      peer_.tgid, peer_.uid, ctx_.closer->pending(peer_.uid));
		fatal_ = true;
		return false;
	}
	// One byte more than a message, so an oversized one shows as MSG_TRUNC or a wrong length.
	alignas(8) unsigned char buf[TLD_BROKER_MSG_SIZE + 8];
	// Room for every fd one message can carry: fds that do not fit are closed by the kernel
	// inside this recvmsg, on this thread, and one close can block as long as its sender
	// likes (issue 10, item 2). Here every fd arrives, and the closer takes the unwanted.
	FdControl ctl;
	msghdr mh;
	ssize_t n = recv_with_fds(sock_.get(), buf, sizeof(buf), &ctl, &mh);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return false; // nothing queued: the caller checks fatal_
		fatal_ = true;
		return false;
	}
	// Zero bytes is end of file, or an empty message, which the protocol has no use for.
	if (n == 0) {
		fatal_ = true;
		return false;
	}

	// Take ownership of every passed fd before anything can return early.
	Fd passed;
	int nfds = 0;
	for_each_passed_fd(&mh, [&](int fd) {
		Fd owned(fd);
		if (classify_fd(fd) == FdKind::Foreign) {
			ctx_.closer->close_later(peer_.uid, std::move(owned));
			nfds = -1; // poisons the message: see below
			return;
		}
		if (nfds >= 0)
			nfds++;
		// More than one fd is malformed (decode_request says so); the ones before the
		// last are closed off this thread too.
		ctx_.closer->close_later(peer_.uid, std::move(passed));
		passed = std::move(owned);
	});

	Request req;
	int err = nfds < 0 ? -EBADF
	                   : broker::decode_request(buf, static_cast<size_t>(n), mh.msg_flags, nfds,
	                                            &req);
	if (err) {
		// A file that is neither a pidfd nor a memfd has no place in this protocol.
		bool fatal = nfds < 0 || broker::is_fatal(err);
		reject(req, err, 0,
		       nfds < 0 ? "passed an fd that is neither a pidfd nor a memfd"
		       : fatal  ? "malformed message, disconnecting"
		                : "invalid request");
		if (fatal)
			fatal_ = true;
		return !fatal;
	}
	heard_ = true;
	pid_t tid = req.tid;
	err = handle(req, std::move(passed), &tid);
	if (err > 0)
		return false; // a SYNC waits for its scan: nothing after it is read until then
	if (err)
		return !fatal_;
	if (req.type == TLD_BROKER_SYNC || (req.flags & TLD_BROKER_F_ACK))
		reply(req, TLD_BROKER_ACK, 0, tid);
	return true;
}

int Session::handle(const Request &req, Fd passed, pid_t *tid)
{
	switch (req.type) {
	case TLD_BROKER_HELLO:
		return hello(req, std::move(passed));
	case TLD_BROKER_REGISTER:
		return register_thread(req, std::move(passed), tid);
	case TLD_BROKER_UNREGISTER:
		return unregister_thread(req, std::move(passed), tid);
	case TLD_BROKER_BOARD:
		return board(req, std::move(passed));
	case TLD_BROKER_DOORBELL:
		return doorbell(req);
	case TLD_BROKER_QUERY:
	case TLD_BROKER_SET:
	case TLD_BROKER_DUMP:
		return control_request(req, std::move(passed));
	default:
		return sync(req);
	}
}

int Session::hello(const Request &req, Fd memfd)
{
	if (memfd_) {
		reject(req, -EALREADY, 0, "second HELLO on one connection");
		return -EALREADY;
	}
	std::uint64_t size = 0;
	if (int err = check_memfd(req, memfd.get(), &size))
		return err;
	if (size > ctx_.limits->max_memfd_bytes) {
		reject(req, -E2BIG, 0, "memfd larger than --max-memfd-bytes");
		return -E2BIG;
	}
	std::uint64_t pages = size / TLD_PAGE_SIZE;
	// uptrs must point at writable user memory: a write-sealed memfd fails here, not later.
	void *m = nullptr;
	if (int err = map_memfd(memfd.get(), pages * TLD_PAGE_SIZE, &m)) {
		reject(req, err, 0, "cannot map the memfd read-write");
		return err;
	}
	map_ = m;
	pages_ = pages;
	memfd_ = std::move(memfd);
	same_pidns_ = req.tid == peer_.tgid;
	LOG_D("client pid %d: memfd of %llu pages%s", peer_.tgid,
	      static_cast<unsigned long long>(pages),
	      same_pidns_ ? "" : ", other pid namespace: pidfds only");
	return 0;
}

int Session::check_memfd(const Request &req, int fd, std::uint64_t *size)
{
	int seals = fcntl(fd, F_GET_SEALS);
	struct stat st;
	int err = 0;
	const char *why = nullptr;
	if (seals < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err = -EBADF;
		why = "the fd is not a memfd";
	} else if (!(seals & F_SEAL_SHRINK)) {
		err = -EINVAL;
		why = "memfd is not sealed with F_SEAL_SHRINK";
	} else if (static_cast<std::uint64_t>(st.st_size) < TLD_PAGE_SIZE) {
		err = -EINVAL;
		why = "memfd smaller than a page";
	}
	if (err) {
		reject(req, err, 0, why);
		return err;
	}
	*size = static_cast<std::uint64_t>(st.st_size);
	return 0;
}

int Session::map_memfd(int fd, std::uint64_t bytes, void **out)
{
	void *m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return errno == EPERM ? -EACCES : -errno;
	*out = m;
	return 0;
}

// The thread a REGISTER or UNREGISTER is about, as a pidfd checked to be the peer's own.
Result<Fd> Session::thread_pidfd(const Request &req, Fd passed, pid_t *tid)
{
	if (req.flags & TLD_BROKER_F_PIDFD) {
		auto t = check_thread_pidfd(passed.get(), peer_.tgid);
		if (!t)
			return t.error();
		*tid = *t;
		return passed;
	}
	// A tid is a number in the client's pid namespace; only ours can be resolved here.
	if (!same_pidns_)
		return Error{EXDEV, "tid from another pid namespace (send a pidfd)"};
	return open_thread(req.tid, peer_.tgid);
}

int Session::register_thread(const Request &req, Fd passed, pid_t *tid)
{
	if (!memfd_) {
		reject(req, -ENOTCONN, *tid, "REGISTER before a successful HELLO");
		return -ENOTCONN;
	}
	auto pidfd = thread_pidfd(req, std::move(passed), tid);
	if (!pidfd) {
		reject(req, pidfd.error(), *tid);
		return pidfd.error().negative();
	}
	if (auto r = register_block(req, pidfd->get(), *tid); !r) {
		reject(req, r.error(), *tid);
		return r.error().negative();
	}
	return 0;
}

// Registers the block req.page/start for thread `tid`, named by `pidfd` already checked to be
// the peer's. Shared by REGISTER and the board. An error's context is the reason the rejection
// logs; a success allocates nothing.
Result<void> Session::register_block(const Request &req, int pidfd, pid_t tid)
{
	// The check above compared tgid numbers; the peer still existing afterwards means the
	// number could not have been handed to another process in between. A peer whose ids
	// changed since connect (a setuid exec) must not have its old image's memory attached to
	// the new one; one that was root at connect could have written the map itself anyway.
	int err = peer_check(peer_);
	if (err == -EPERM && peer_.uid == 0)
		err = 0;
	if (err) {
		fatal_ = true;
		return error_from_errno(err == -EPERM
		                                ? "client's credentials changed since it connected"
		                                : "client process is gone (inherited connection?)",
		                        err);
	}
	if ((err = grow_mapping(req.page)))
		return error_from_errno("page beyond the memfd", err);
	if (!threads_.count(tid) && threads_.size() >= ctx_.limits->max_threads_per_client &&
	    !make_room()) {
		// Once per connection, whatever the rejection log's budget: the journal says why a
		// program's later threads run without hints (tldctl status counts such clients).
		if (!at_thread_limit_)
			LOG_W("client pid %d uid %u: reached --max-threads-per-client (%u "
			      "registrations); its further threads run without hints",
			      peer_.tgid, peer_.uid, ctx_.limits->max_threads_per_client);
		at_thread_limit_ = true;
		return Error{EDQUOT, "client holds --max-threads-per-client registrations"};
	}
	tld_map_value v{};
	char *base = static_cast<char *>(map_);
	v.data = reinterpret_cast<tld_data_u *>(base +
	                                        static_cast<size_t>(req.page) * TLD_PAGE_SIZE);
	v.meta = reinterpret_cast<tld_meta_u *>(base);
	// The claim checked against the memfd, as the page and size are: the page must say where
	// its block is, as upstream's consumer reads it. (The client may change it later; readers
	// bound whatever they find.)
	if (__atomic_load_n(&v.data->start, __ATOMIC_RELAXED) != req.start)
		return Error{EINVAL, "the data page's start word is not the block's start"};
	// tldctl list's PATH, across tldd restarts: first, so no brokered entry goes unmarked.
	tld_broker_entry mark{TLD_BROKER_E_BROKERED};
	if (ctx_.broker_map_fd >= 0 &&
	    (err = bpf_map_update_elem(ctx_.broker_map_fd, &pidfd, &mark, BPF_ANY)))
		return error_from_errno("bpf_map_update_elem(tld_broker_map)", err);
	if ((err = bpf_map_update_elem(ctx_.map_fd, &pidfd, &v, BPF_ANY))) {
		if (ctx_.broker_map_fd >= 0)
			bpf_map_delete_elem(ctx_.broker_map_fd, &pidfd);
		return error_from_errno("bpf_map_update_elem", err);
	}
	threads_.insert(tid);
	registered_++;
	LOG_D("client pid %d: registered tid %d page %u start %u", peer_.tgid, tid, req.page,
	      req.start);
	return {};
}

int Session::unregister_thread(const Request &req, Fd passed, pid_t *tid)
{
	auto pidfd = thread_pidfd(req, std::move(passed), tid);
	if (!pidfd) {
		// A thread that is gone took its registration with it: nothing left to do.
		if (pidfd.error().code == ESRCH) {
			threads_.erase(*tid);
			return 0;
		}
		reject(req, pidfd.error(), *tid);
		return pidfd.error().negative();
	}
	int fd = pidfd->get();
	int err = bpf_map_delete_elem(ctx_.map_fd, &fd);
	if (ctx_.broker_map_fd >= 0 && (!err || err == -ENOENT))
		bpf_map_delete_elem(ctx_.broker_map_fd, &fd);
	threads_.erase(*tid);
	if (err && err != -ENOENT) {
		reject(req, err, *tid, "bpf_map_delete_elem");
		return err;
	}
	return 0;
}

// Maps pages the client added since HELLO. Old registrations are unaffected by the move:
// their pins hold the pages themselves.
int Session::grow_mapping(std::uint32_t page)
{
	if (broker::check_page(Request{.page = page}, pages_) == 0)
		return 0;
	struct stat st;
	if (fstat(memfd_.get(), &st) != 0)
		return -errno;
	std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
	std::uint64_t limit = ctx_.limits->max_memfd_bytes;
	std::uint64_t pages = (size < limit ? size : limit) / TLD_PAGE_SIZE;
	if (page >= pages)
		return static_cast<std::uint64_t>(page) * TLD_PAGE_SIZE >= limit ? -E2BIG : -ERANGE;
	void *m = mremap(map_, pages_ * TLD_PAGE_SIZE, pages * TLD_PAGE_SIZE, MREMAP_MAYMOVE);
	if (m == MAP_FAILED)
		return -errno;
	map_ = m;
	pages_ = pages;
	return 0;
}

// At the thread limit, forget threads that exited without an UNREGISTER (crashed, or the
// client does not bother): the kernel already dropped their registrations.
bool Session::make_room()
{
	for (auto it = threads_.begin(); it != threads_.end();) {
		if (thread_exists(peer_.tgid, *it))
			++it;
		else
			it = threads_.erase(it);
	}
	return threads_.size() < ctx_.limits->max_threads_per_client;
}

void Session::reply(const Request &req, std::uint16_t type, int error, pid_t tid)
{
	tld_broker_event ev;
	broker::make_event(&ev, req, type, error, tid, dropped_);
	// Never wait for a client: if it does not read its events, count what it missed.
	if (send(sock_.get(), &ev, sizeof(ev), MSG_DONTWAIT | MSG_NOSIGNAL) == sizeof(ev))
		dropped_ = 0;
	else if (errno == EAGAIN || errno == ENOBUFS)
		dropped_++;
}

void Session::reject(const Request &req, int error, pid_t tid, const char *why)
{
	rejected_++;
	if (logged_ < kLogBurst) {
		logged_++;
		LOG_W("client pid %d uid %u: %s (seq %u, tid %d) rejected: %s: %s", peer_.tgid,
		      peer_.uid, broker::type_name(req.type), req.seq, tid, why, strerror(-error));
		if (logged_ == kLogBurst)
			LOG_W("client pid %d: further rejections are not logged", peer_.tgid);
	}
	reply(req, TLD_BROKER_ERROR, error, tid);
}

void Session::reject(const Request &req, const Error &err, pid_t tid)
{
	reject(req, err.negative(), tid, err.context.c_str());
}

} // namespace tld::tldd
