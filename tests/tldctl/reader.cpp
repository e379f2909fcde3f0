// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "reader.h"

#include <cstring>

#include <tld/abi.h> // before the skeleton, which names struct tld_btf_anchor

#include "progs/bpf_loader.h"
#include "tldctl_test_reader.skel.h"

namespace tld::test {

namespace {
struct ReaderRec {
	uint32_t pid, tid, value, found;
};
} // namespace

ClassReader::ClassReader(int map_fd)
{
	skel_ = tldctl_test_reader__open();
	if (!skel_) {
		error_ = std::string("opening reader.bpf.o: ") + strerror(errno);
		return;
	}
	int err = bpf_map__reuse_fd(skel_->maps.tld_data_map, map_fd);
	if (!err)
		err = tldctl_test_reader__load(skel_);
	if (err)
		error_ = std::string("loading reader.bpf.o: ") + strerror(-err);
}

ClassReader::~ClassReader()
{
	tldctl_test_reader__destroy(skel_);
}

std::map<pid_t, uint32_t> ClassReader::read(pid_t pid)
{
	std::map<pid_t, uint32_t> out;
	if (!error_.empty())
		return out;
	auto bytes = tld::ctl::run_task_iter(skel_->progs.read_class, {0, pid});
	if (!bytes) {
		error_ = bytes.error().message();
		return out;
	}
	const std::string &b = bytes.value();
	for (size_t pos = 0; pos + sizeof(ReaderRec) <= b.size(); pos += sizeof(ReaderRec)) {
		ReaderRec r;
		memcpy(&r, b.data() + pos, sizeof(r));
		if (r.found)
			out[pid_t(r.tid)] = r.value;
	}
	return out;
}

} // namespace tld::test
