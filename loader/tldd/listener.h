// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The broker's listening socket: taken from systemd socket activation (LISTEN_FDS) when there
// is one, else bound here. SOCK_SEQPACKET keeps message boundaries, so nobody can leave tldd
// holding half a message.
#pragma once

#include <string>
#include <sys/types.h>

#include "sys/fd.h"
#include "sys/result.h"

namespace tld::tldd {

struct ListenSettings {
	std::string path;
	mode_t mode; // the socket-mode setting
	gid_t gid = 0;
	bool set_group = false;
};

struct Listener {
	Fd fd;
	bool activated = false; // came from systemd: the path is not ours to unlink
};

Result<Listener> open_listener(const ListenSettings &s);

// Removes the socket path we bound, if it still is a socket.
void remove_socket_path(const std::string &path);

} // namespace tld::tldd
