// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Test fixtures shared by every area: a private bpffs mount and a temporary directory, so tests
// never touch /sys/fs/bpf or /run.
#pragma once

#include <string>

namespace tld::test {

// A fresh temporary directory, removed (recursively) with the object.
class TempDir {
public:
	TempDir();
	~TempDir();
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

// A private bpffs instance mounted on a temporary directory; unmounted with the object.
// Construction fails the current test (ADD_FAILURE) with the reason if mount(2) refuses.
class BpffsMount {
public:
	BpffsMount();
	~BpffsMount();
	BpffsMount(const BpffsMount &) = delete;
	BpffsMount &operator=(const BpffsMount &) = delete;
	const std::string &path() const { return dir_.path(); }
	bool ok() const { return mounted_; }

private:
	TempDir dir_;
	bool mounted_ = false;
};

} // namespace tld::test
