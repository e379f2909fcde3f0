// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd as a service: readiness only once pins and socket exist, reload, stop that keeps the
// pins, adoption on restart, uninstall, and refusing to start on what is not ours.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <memory>

#include "bpffs.h"
#include "harness.h"
// The skeleton names the ABI 1 page struct (abi1_map.bpf.c).
struct abi1_page {
	char bytes[4096];
};
#include "tldd_abi1_map.skel.h"

namespace tld::test {
namespace {

std::uint32_t map_id(const std::string &pin)
{
	int fd = bpf_obj_get(pin.c_str());
	if (fd < 0)
		return 0;
	bpf_map_info info{};
	__u32 len = sizeof(info);
	bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	return info.id;
}

bool exists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

class DaemonTest : public ::testing::Test {
protected:
	void SetUp() override { ASSERT_TRUE(bpffs.ok()); }
	BpffsMount bpffs;
	Tldd tldd{bpffs.path()};
};

TEST_F(DaemonTest, ReadyOnlyWhenPinnedAndListening)
{
	ASSERT_TRUE(tldd.start());
	ASSERT_TRUE(tldd.wait_notify("READY=1", 20000)) << tldd.log();
	// At READY=1 both must already exist: a unit ordered After=tldd can use them at once.
	struct stat st;
	ASSERT_EQ(stat((tldd.pin_root + "/tld_data_map").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600u) << "the pin is root-only by default";
	ASSERT_EQ(stat(tldd.socket_path.c_str(), &st), 0);
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(st.st_mode & 0777, 0666u);
	RawConn c;
	EXPECT_EQ(c.connect(tldd.socket_path), 0);
	EXPECT_NE(tldd.log().find("created and pinned"), std::string::npos);
}

TEST_F(DaemonTest, ReloadStopKeepsPinsAndRestartAdopts)
{
	ASSERT_TRUE(tldd.start_ready());
	std::string pin = tldd.pin_root + "/tld_data_map";
	std::uint32_t id = map_id(pin);
	ASSERT_NE(id, 0u);

	kill(tldd.pid(), SIGHUP);
	std::string msg = tldd.next_notify(10000);
	EXPECT_NE(msg.find("RELOADING=1"), std::string::npos) << msg;
	EXPECT_NE(msg.find("MONOTONIC_USEC="), std::string::npos) << msg;
	EXPECT_TRUE(tldd.wait_notify("READY=1", 10000));

	kill(tldd.pid(), SIGTERM);
	EXPECT_TRUE(tldd.wait_notify("STOPPING=1", 10000));
	int status = tldd.wait_exit(10000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
	EXPECT_TRUE(exists(pin)) << "SIGTERM must leave the pins";
	EXPECT_FALSE(exists(tldd.socket_path)) << "a clean stop removes the socket it bound";

	ASSERT_TRUE(tldd.start_ready());
	EXPECT_EQ(map_id(pin), id) << "a restart adopts the pinned map instead of replacing it";
	EXPECT_NE(tldd.log().find("adopted"), std::string::npos);
}

TEST_F(DaemonTest, StaleSocketReplacedButOtherFilesAndLiveDaemonsKept)
{
	ASSERT_TRUE(tldd.start_ready());
	tldd.stop(SIGKILL); // leaves the socket behind
	ASSERT_TRUE(exists(tldd.socket_path));
	ASSERT_TRUE(tldd.start_ready()) << tldd.log();

	// A second instance on the same socket refuses to steal it from a serving one.
	Tldd second{bpffs.path(), tldd};
	ASSERT_TRUE(second.start());
	int status = second.wait_exit(20000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	EXPECT_NE(tldd.log().find("another tldd is serving"), std::string::npos);
	tldd.stop();

	// A path that is not a socket is never unlinked.
	FILE *f = fopen(tldd.socket_path.c_str(), "w");
	ASSERT_TRUE(f);
	fclose(f);
	ASSERT_TRUE(tldd.start());
	status = tldd.wait_exit(20000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	EXPECT_NE(tldd.log().find("is not a socket"), std::string::npos);
	EXPECT_TRUE(exists(tldd.socket_path));
}

TEST_F(DaemonTest, RefusesIncompatiblePin)
{
	ASSERT_EQ(mkdir(tldd.pin_root.c_str(), 0700), 0);
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "tld_data_map", 4, 24, 16, nullptr);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(bpf_obj_pin(fd, (tldd.pin_root + "/tld_data_map").c_str()), 0);
	close(fd);
	ASSERT_TRUE(tldd.start());
	int status = tldd.wait_exit(20000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	EXPECT_NE(tldd.log().find("not a tld_data_map"), std::string::npos) << tldd.log();
}

// A pin the ABI 1 tldd made (24-byte values, several threads a page) is refused with the
// command that fixes it; after that command, tldd pins upstream's 16-byte map.
TEST_F(DaemonTest, RefusesAnAbi1PinAndNamesTheFix)
{
	ASSERT_EQ(mkdir(tldd.pin_root.c_str(), 0700), 0);
	{
		std::unique_ptr<tldd_abi1_map, void (*)(tldd_abi1_map *)> old(
		        tldd_abi1_map__open_and_load(), tldd_abi1_map__destroy);
		ASSERT_TRUE(old) << "loading the ABI 1 map: " << strerror(errno);
		ASSERT_EQ(bpf_map__pin(old->maps.tld_data_map,
		                       (tldd.pin_root + "/tld_data_map").c_str()),
		          0);
	}
	ASSERT_TRUE(tldd.start());
	int status = tldd.wait_exit(20000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	EXPECT_NE(tldd.log().find("older tldd (ABI 1"), std::string::npos) << tldd.log();
	EXPECT_NE(tldd.log().find("`tldd --remove-pins`"), std::string::npos) << tldd.log();

	Tldd remover{bpffs.path(), tldd};
	ASSERT_TRUE(remover.start({"--remove-pins"}));
	status = remover.wait_exit(20000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << remover.log();
	ASSERT_TRUE(tldd.start_ready()) << tldd.log();
	Fd map(bpf_obj_get((tldd.pin_root + "/tld_data_map").c_str()));
	ASSERT_TRUE(map);
	bpf_map_info info{};
	__u32 len = sizeof(info);
	ASSERT_EQ(bpf_obj_get_info_by_fd(map.get(), &info, &len), 0);
	EXPECT_EQ(info.value_size, 16u);
}

TEST_F(DaemonTest, RemovePins)
{
	ASSERT_TRUE(tldd.start_ready());
	tldd.stop();
	ASSERT_TRUE(exists(tldd.pin_root + "/tld_data_map"));
	Tldd remover{bpffs.path(), tldd};
	ASSERT_TRUE(remover.start({"--remove-pins"}));
	int status = remover.wait_exit(20000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << remover.log();
	EXPECT_FALSE(exists(tldd.pin_root + "/tld_data_map"));
	EXPECT_FALSE(exists(tldd.pin_root + "/tld_broker_map"));
	EXPECT_FALSE(exists(tldd.pin_root));
}

TEST_F(DaemonTest, SocketActivationAndJournalPrefixes)
{
	// The "systemd" side: a listening SEQPACKET socket at a path tldd is not told about.
	std::string path = tldd.socket_path + ".activated";
	Fd sock(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
	ASSERT_EQ(bind(sock.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
	ASSERT_EQ(listen(sock.get(), 16), 0);
	tldd.activated_fd = sock.get();
	tldd.journal = true;
	std::string why;
	ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
	EXPECT_FALSE(exists(tldd.socket_path)) << "with an activated socket tldd binds nothing";
	RawConn c;
	ASSERT_EQ(c.connect(path), 0);
	Arena arena = Arena::create(2);
	c.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, arena.fd.get());
	EXPECT_FALSE(c.error_before_sync(5000).has_value()) << "served on the activated socket";
	// Journal lines start with the syslog priority: <6> info, <5> notice.
	std::string log = tldd.log();
	EXPECT_EQ(log.rfind("<6>settings from", 0), 0u) << log;
	EXPECT_NE(log.find("\n<5>created and pinned"), std::string::npos) << log;
	tldd.stop();
	EXPECT_TRUE(exists(path)) << "the activated socket's path belongs to systemd";
}

TEST(DaemonMount, MountsBpffsWhenThePinRootIsNotOnOne)
{
	TempDir dir;
	std::string mnt = dir.path() + "/mnt";
	ASSERT_EQ(mkdir(mnt.c_str(), 0700), 0);
	Tldd tldd{mnt};
	std::string why;
	ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
	EXPECT_NE(tldd.log().find("mounted a bpffs on " + mnt), std::string::npos) << tldd.log();
	EXPECT_TRUE(exists(tldd.pin_root + "/tld_data_map"));
	tldd.stop();
	umount2(mnt.c_str(), MNT_DETACH);

	// Never over an unrelated ancestor.
	Tldd far{mnt};
	far.pin_root = dir.path() + "/a/b/c";
	ASSERT_TRUE(far.start());
	int status = far.wait_exit(20000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	EXPECT_NE(far.log().find("refusing to mount"), std::string::npos);
}

TEST(DaemonOptions, BadOptionIsAClearError)
{
	TempDir dir;
	Tldd tldd{dir.path()};
	ASSERT_TRUE(tldd.start({"--max-clients", "lots"}));
	int status = tldd.wait_exit(20000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	std::string log = tldd.log();
	EXPECT_NE(log.find("max-clients"), std::string::npos) << log;
	EXPECT_NE(log.find("lots"), std::string::npos) << log;
}

} // namespace
} // namespace tld::test
