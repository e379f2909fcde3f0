// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd's settings: the command line, then /etc/tld/tldd.conf (or --config FILE); the command line
// wins. Boost.Program_options does the work and may throw, but only inside daemon_config.cpp:
// everything here returns errors as values, and no Boost type leaks out.
//
// tldd.conf is INI (config/ini.h) without sections: "max-clients = 256", one setting a line, the
// same names as the long options. config/tldd.conf is a commented sample.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "config/keys_config.h"
#include "config/log_level.h"
#include "config/parse_error.h"

namespace tld::config {

inline constexpr const char *kDefaultDaemonConfigPath = TLD_CONFIG_DIR "/tldd.conf";

// What tldd holds its clients to; a reload (SIGHUP) may change them while it serves
// (docs/broker.md, "Limits").
struct DaemonLimits {
	unsigned max_clients = 1024;            // clients connected at once
	unsigned max_threads_per_client = 4096; // registrations one client may hold
	uint64_t max_memfd_bytes = 16u << 20;   // largest memfd a client may hand over
	// How long a board change waits before tldd reads it: threads that live shorter are never
	// registered and cost the kernel nothing (docs/broker.md, "The board").
	unsigned registration_delay_ms = 5;
	// Control requests (QUERY, SET, DUMP) a second per uid but root, in bursts of as many:
	// each runs BPF programs over many tasks, and one user must not keep tldd from
	// registering.
	unsigned control_rate = 20;

	uint64_t registration_delay_ns() const { return registration_delay_ms * 1'000'000ull; }
};

// tldd's settings, the one copy from the parser through main() to each session.
struct DaemonConfig {
	std::string pin_root = kDefaultPinRoot;  // where the maps are pinned (a bpffs)
	std::string socket = kDefaultSocketPath; // the broker's UNIX socket
	unsigned socket_mode = 0666;             // permission bits of the socket, at most 0777
	std::string socket_group;                // group owning the socket; empty: tldd's own
	std::string direct_group; // group trusted with direct map access; empty: none
	DaemonLimits limits;
	LogLevel log_level = LogLevel::info;
	std::string keys_config = kDefaultKeysConfigPath; // for --check-config; tldd reads no key

	std::string config_file; // the settings file that was read; empty if none was
	bool help = false;       // --help: print daemon_help() and exit 0; nothing else is set
};

// Parses argv (argv[0] is the program) and then the settings file: --config FILE, or
// @default_config, which may be missing (FILE from --config may not). Errors read
// "command line: ..." or "FILE:LINE: ...": an unknown setting, a malformed line or value, a
// setting given twice in the file, a command-line-only option in the file.
Result<DaemonConfig>
parse_daemon_config(int argc, const char *const *argv,
                    const std::string &default_config = kDefaultDaemonConfigPath);

// The --help text.
std::string daemon_help(std::string_view program);

// Resolves socket-group / direct-group (a group name or a number) to a gid; an error when it
// is neither a number nor a known group.
Result<gid_t> resolve_group(const std::string &group);

} // namespace tld::config
