// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd's settings as the daemon uses them: config/'s DaemonConfig (command line, then
// /etc/tld/tldd.conf; the command line wins) plus tldd's own command-line-only actions
// (--remove-pins, --check-config).
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

#include "log.h"

namespace tld::tldd {

struct Options {
	std::string pin_root = "/sys/fs/bpf/tld";
	std::string socket_path = "/run/tld/tldd.sock";
	mode_t socket_mode = 0660;
	std::string socket_group; // group owning the socket ("" keeps root's)
	std::string direct_group; // group trusted with direct map access ("" = none)
	unsigned max_clients = 1024;
	unsigned max_threads = 4096; // registered threads per client
	std::uint64_t max_memfd_bytes = 16u << 20;
	unsigned registration_delay_ms = 5; // board changes wait this long (docs/broker.md)
	unsigned control_rate = 20;         // control requests a second per uid but root
	log::Level log_level = log::Info;
	std::string config_file;   // the settings file read, "" if none
	std::string keys_config;   // the keys config, for --check-config (tldd does not use it)
	bool remove_pins = false;  // uninstall: remove the pins and exit
	bool check_config = false; // check the settings and the keys config, then exit
};

// Parses argv and the settings file; on --help prints usage and sets *exit_now. Returns "" or
// an error naming the option, or the file and line.
std::string parse_options(int argc, char **argv, Options *out, bool *exit_now);

// Resolves a group name or number; false with *why set when it is neither.
bool lookup_group(const std::string &name, gid_t *gid, std::string *why);

} // namespace tld::tldd
