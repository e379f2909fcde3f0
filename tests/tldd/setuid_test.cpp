// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// A uid 65534 client connects, then execs a setuid-root program before tldd accepts: tldd must
// authorize the connection as the uid that connected (SO_PEERCRED), and refuse control requests
// from a peer whose credentials changed since. tldd is held (SIGSTOP) from before the connect
// until after the exec, so the race the attack won 8 of 20 times is lost every time here.
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpffs.h"
#include "harness.h"
#include "setuid_peer.h"

namespace tld::test {
namespace {

bool copy_file(const std::string &from, const std::string &to, mode_t mode)
{
	Fd in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
	Fd out(open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700));
	if (!in || !out)
		return false;
	char buf[65536];
	ssize_t n;
	while ((n = read(in.get(), buf, sizeof(buf))) > 0)
		if (write(out.get(), buf, size_t(n)) != n)
			return false;
	// chown first: it clears the setuid bit.
	return n == 0 && fchown(out.get(), 0, 0) == 0 && fchmod(out.get(), mode) == 0;
}

// Connects as uid 65534 to a stopped tldd, execs `program` on that connection, resumes tldd once
// the exec has happened, and returns what the program got.
bool connect_then_exec(Tldd &tldd, const std::string &program, SetuidReport *rep)
{
	const std::string socket = tldd.socket_path;
	const std::string target = std::to_string(getpid()); // a root process
	if (kill(tldd.pid(), SIGSTOP) != 0)
		return false;
	Child child = Child::spawn([&](int fd) {
		if (!become_nobody())
			return 10;
		RawConn conn;
		// Completes while tldd is stopped: the connection waits in the listen backlog.
		if (conn.connect(socket) != 0)
			return 11;
		if (dup2(conn.fd(), 10) != 10 || dup2(fd, 11) != 11)
			return 12;
		execl(program.c_str(), program.c_str(), "10", "11", target.c_str(), nullptr);
		return 13;
	});
	char ready = 0;
	bool execd = recv_obj(child.fd(), &ready, 1, 30000) && ready == 'E';
	kill(tldd.pid(), SIGCONT);
	if (!execd) {
		ADD_FAILURE() << "the client did not exec: " << child.wait();
		return false;
	}
	bool got = recv_obj(child.fd(), rep, sizeof(*rep), 60000);
	EXPECT_EQ(child.wait(), 0);
	return got;
}

TEST(Setuid, ExecAfterConnectGetsTheRightsOfTheUidThatConnected)
{
	BpffsMount bpffs;
	ASSERT_TRUE(bpffs.ok());
	Tldd tldd{bpffs.path()};
	std::string why;
	ASSERT_TRUE(tldd.start_ready({}, &why)) << why;

	TempDir dir;
	ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
	const std::string setuid_copy = dir.path() + "/setuid_peer";
	const std::string plain_copy = dir.path() + "/plain_peer";
	ASSERT_TRUE(copy_file(SETUID_PEER_PATH, setuid_copy, 04755));
	ASSERT_TRUE(copy_file(SETUID_PEER_PATH, plain_copy, 0755));

	// The same program without the setuid bit: the connection is uid 65534's throughout,
	// and DUMP answers (with what 65534 may read); SET on a root process is not its to do.
	SetuidReport plain{};
	ASSERT_TRUE(connect_then_exec(tldd, plain_copy, &plain)) << tldd.log();
	EXPECT_EQ(plain.euid, 65534);
	EXPECT_EQ(plain.dump_type, TLD_BROKER_ACK) << plain.dump_error;
	EXPECT_EQ(plain.set_type, TLD_BROKER_ERROR);
	EXPECT_EQ(plain.set_error, -EPERM);

	// Setuid root: the image runs with euid 0 on 65534's connection. Neither DUMP (which would
	// return every process's records to root) nor SET on a root process is honoured.
	SetuidReport suid{};
	ASSERT_TRUE(connect_then_exec(tldd, setuid_copy, &suid)) << tldd.log();
	ASSERT_EQ(suid.euid, 0) << "the copy did not run setuid root (nosuid mount?)";
	EXPECT_EQ(suid.ruid, 65534);
	EXPECT_EQ(suid.dump_type, TLD_BROKER_ERROR) << "DUMP must not answer";
	EXPECT_EQ(suid.dump_error, -EPERM);
	EXPECT_EQ(suid.set_type, TLD_BROKER_ERROR);
	EXPECT_EQ(suid.set_error, -EPERM);

	std::string log = tldd.log();
	EXPECT_EQ(log.find("uid 0: set"), std::string::npos) << log;
	EXPECT_EQ(log.find("uid 0: dump"), std::string::npos) << log;
	EXPECT_NE(log.find("credentials changed since it connected"), std::string::npos) << log;
}

} // namespace
} // namespace tld::test
