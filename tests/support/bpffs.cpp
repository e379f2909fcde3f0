// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "bpffs.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <stdlib.h>
#include <sys/mount.h>

namespace tld::test {

TempDir::TempDir()
{
	char tmpl[] = "/tmp/tld-test-XXXXXX";
	if (!mkdtemp(tmpl))
		throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
	path_ = tmpl;
}

TempDir::~TempDir()
{
	std::error_code ec;
	std::filesystem::remove_all(path_, ec);
}

BpffsMount::BpffsMount()
{
	if (mount("bpf", dir_.path().c_str(), "bpf", 0, "mode=0700") != 0) {
		ADD_FAILURE() << "cannot mount a private bpffs on " << dir_.path() << ": "
		              << std::strerror(errno) << " (tests need root with CAP_SYS_ADMIN)";
		return;
	}
	mounted_ = true;
}

BpffsMount::~BpffsMount()
{
	if (mounted_)
		umount2(dir_.path().c_str(), MNT_DETACH);
}

} // namespace tld::test
