// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// PLACEHOLDER until loader/broker_client lands.
#include "broker.h"

#include <cerrno>

namespace tld::shim
{

int broker_connect(const char *)
{
	return -ENOTSUP;
}
bool broker_connected()
{
	return false;
}
int broker_register(pid_t, const arena::Block &)
{
	return -ENOTCONN;
}
int broker_unregister(pid_t, bool)
{
	return -ENOTCONN;
}
void broker_after_fork_child() {}

} // namespace tld::shim
