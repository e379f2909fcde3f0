// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET (a path, or "@name" for the
// abstract namespace). Without NOTIFY_SOCKET there is no supervisor to tell, and that is fine.
#pragma once

namespace tld::notify {

// Sends `state` ("READY=1", "STOPPING=1", ...). Returns 0 (also when nobody listens) or -errno.
int send(const char *state);

// RELOADING=1 with MONOTONIC_USEC, as systemd expects for a reload in progress.
int reloading();

} // namespace tld::notify
