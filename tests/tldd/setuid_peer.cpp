// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The program a connected client execs in setuid_test.cpp: a copy of it is setuid root, so it
// runs with euid 0 on a connection its uid 65534 parent opened. It asks tldd for DUMP and SET
// as that connection and reports what came back.
//   setuid_peer CONN_FD REPORT_FD TARGET_PID
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "request.h"
#include "setuid_peer.h"
#include "wire/codec.h"

namespace {

// The answer to request `seq`: its type and error, or type 0 when none came (or tldd hung up).
void answer(int sock, std::uint32_t seq, std::int32_t *type, std::int32_t *error)
{
	*type = 0;
	*error = 0;
	for (;;) {
		pollfd p{sock, POLLIN, 0};
		if (poll(&p, 1, 30000) <= 0)
			return;
		tld_broker_event ev;
		if (recv(sock, &ev, sizeof(ev), 0) != sizeof(ev))
			return;
		// An ERROR tldd sends before any request (a refused connection) answers them all.
		if (ev.hdr.seq == seq || ev.hdr.seq == 0) {
			*type = ev.hdr.type;
			*error = ev.error;
			return;
		}
	}
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int sock = atoi(argv[1]), report = atoi(argv[2]);
	pid_t target = static_cast<pid_t>(atoi(argv[3]));
	tld::test::SetuidReport rep{};
	rep.euid = static_cast<std::int32_t>(geteuid());
	rep.ruid = static_cast<std::int32_t>(getuid());
	// The test resumes tldd only now: it accepts a connection whose peer already exec'd.
	char ready = 'E';
	if (write(report, &ready, 1) != 1)
		return 3;

	tld_broker_dump_req dump{};
	dump.hdr = tld::test::request_header(TLD_BROKER_DUMP, 1);
	dump.tid = getpid();
	dump.pid = 0; // every process it may read
	if (tld::broker::send_message(sock, &dump, sizeof(dump), -1, 0) == 0)
		answer(sock, 1, &rep.dump_type, &rep.dump_error);

	int mfd = memfd_create("set", MFD_CLOEXEC);
	tld_broker_set set{};
	set.magic = TLD_BROKER_MAGIC;
	set.pid = target;
	set.value_size = 4;
	strcpy(set.key, "prio");
	memcpy(set.value, "\x09\x03\0\0", 4);
	if (mfd >= 0 && pwrite(mfd, &set, sizeof(set), 0) == sizeof(set)) {
		tld_broker_req req{};
		req.hdr = tld::test::request_header(TLD_BROKER_SET, 2);
		req.tid = getpid();
		if (tld::broker::send_message(sock, &req, sizeof(req), mfd, 0) == 0)
			answer(sock, 2, &rep.set_type, &rep.set_error);
	}
	return write(report, &rep, sizeof(rep)) == sizeof(rep) ? 0 : 4;
}
