// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd: pins tld_data_map and registers the threads of processes that may not write it
// themselves. docs/broker.md describes the protocol, the identity checks and the limits.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "broker.h"
#include "config/keys_config.h"
#include "exec_hook.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "pins.h"
#include "sys/fd.h"

using namespace tld::tldd;

namespace {

// An empty name means no group; an unknown one stops start-up.
bool group_of(const std::string &name, gid_t *gid)
{
	if (name.empty())
		return false;
	auto found = tld::config::resolve_group(name);
	if (!found) {
		LOG_E("%s", found.error().message().c_str());
		exit(1);
	}
	*gid = *found;
	return true;
}

int fail(const char *step, const tld::Error &e)
{
	LOG_E("%s: %s", step, e.message().c_str());
	tld::notify::send("STATUS=failed to start");
	return 1;
}

// Whether a tldd answers on `path`: --remove-pins under a serving tldd would leave it
// registering threads into a map nobody can find any more.
bool tldd_serving(const std::string &path)
{
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	if (path.size() >= sizeof(addr.sun_path))
		return false;
	memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	tld::Fd probe(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	return probe &&
	       connect(probe.get(), reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)) == 0;
}

// tldd --check-config, like sshd -t: the settings parsed already (errors name FILE:LINE and
// exit 2 before this); the keys config is tldd's too, since tldctl and the preload read it.
int check_config(const tld::config::DaemonConfig &opt)
{
	auto keys = tld::config::load_keys_config(opt.keys_config);
	if (!keys) {
		fprintf(stderr, "tldd: %s\n", keys.error().message().c_str());
		return 1;
	}
	printf("%s: ok\n%s: ok\n",
	       opt.config_file.empty() ? "tldd.conf (none, defaults)" : opt.config_file.c_str(),
	       opt.keys_config.c_str());
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	tld::log::init("tldd");
	const Action action = action_of(argc, argv);
	if (action == Action::version) {
		printf("tldd %s\n", TLD_VERSION);
		return 0;
	}
	auto parsed = parse_settings(argc, argv);
	if (!parsed) {
		LOG_E("%s", parsed.error().message().c_str());
		return action == Action::check_config ? 1 : 2;
	}
	const tld::config::DaemonConfig &opt = parsed.value();
	if (opt.help) {
		print_help();
		return 0;
	}
	if (action == Action::check_config)
		return check_config(opt);
	tld::log::set_level(opt.log_level);
	if (!opt.config_file.empty())
		LOG_I("settings from %s", opt.config_file.c_str());
	// Pins and the socket are created private and opened up explicitly afterwards.
	umask(077);

	// Uninstall: remove the pins, leave running registrations to their threads.
	if (action == Action::remove_pins) {
		if (tldd_serving(opt.socket)) {
			LOG_E("a tldd is serving %s: stop it first (systemctl stop tldd), then "
			      "--remove-pins; the pins were left in place",
			      opt.socket.c_str());
			return 1;
		}
		if (auto r = remove_exec_hook(opt.pin_root); !r)
			return fail("remove pins", r.error());
		if (auto r = MapPins::remove(opt.pin_root); !r)
			return fail("remove pins", r.error());
		LOG_N("removed the pins under %s", opt.pin_root.c_str());
		return 0;
	}

	// Each client costs a socket, a pidfd and a memfd: use all the fds we are allowed.
	rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	Broker::block_signals();

	// 1. The maps: adopt the pins of an earlier run, or create and pin them.
	PinSettings ps{opt.pin_root};
	ps.direct_group = group_of(opt.direct_group, &ps.direct_gid);
	auto pins = MapPins::open(ps);
	if (!pins)
		return fail("pins", pins.error());
	LOG_N("%s %s", pins->adopted() ? "adopted" : "created and pinned",
	      pins->data_map_path().c_str());
	// The exec hook: without it a task would keep its entry, and its old image's pages,
	// across exec (docs/security.md). Fatal: tldd does not serve without it.
	auto hook = open_exec_hook(opt.pin_root, pins->data_map());
	if (!hook)
		return fail("exec hook", hook.error());
	LOG_N("%s the exec hook %s/%s", *hook ? "adopted" : "attached and pinned",
	      opt.pin_root.c_str(), kExecLinkName);

	// 2. The broker socket.
	ListenSettings ls{opt.socket, static_cast<mode_t>(opt.socket_mode)};
	ls.set_group = group_of(opt.socket_group, &ls.gid);
	auto listener = open_listener(ls);
	if (!listener)
		return fail("broker socket", listener.error());

	// 3. The event loop; ready only now that the maps are pinned and the socket listens.
	Broker broker(listener->fd.get(), pins->data_map(), pins->broker_map(), opt.limits);
	if (auto r = broker.init(); !r)
		return fail("event loop", r.error());
	tld::notify::send("READY=1\nSTATUS=serving");
	LOG_N("serving %s", listener->activated ? "the activated socket" : opt.socket.c_str());

	auto reload = [&](tld::config::DaemonLimits *limits) {
		// The broker sends READY=1 after this; STATUS= says how the reload went
		// (systemctl status shows it).
		auto fresh = parse_settings(argc, argv);
		if (!fresh) {
			const std::string err = fresh.error().message();
			LOG_E("reload: %s; keeping the running configuration", err.c_str());
			tld::notify::send(("STATUS=serving; reload failed, kept the running "
			                   "configuration: " +
			                   err)
			                          .c_str());
			return;
		}
		tld::notify::send("STATUS=serving (reloaded)");
		const tld::config::DaemonConfig &now = fresh.value();
		if (now.pin_root != opt.pin_root || now.socket != opt.socket)
			LOG_W("reload: pin root and socket changes take effect on restart");
		tld::log::set_level(now.log_level);
		*limits = now.limits;
	};
	auto r = broker.run(reload);

	// 4. Stop: the socket goes, the pins stay so BPF keeps seeing every registration.
	if (!listener->activated)
		remove_socket_path(opt.socket);
	if (!r)
		return fail("event loop", r.error());
	return 0;
}
