// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "readers.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "sys/fd.h"

namespace tld::test {

std::string upstream_object(const char *cpu)
{
	return std::string("interop_upstream_") + cpu;
}

std::string upstream_by_name_object()
{
	return "interop_upstream_by_name";
}

std::string tld_object(const char *cpu)
{
	return std::string("interop_tld_") + cpu;
}

std::unique_ptr<Reader> Reader::load(const std::string &object, const std::string &pin_root,
                                     Reuse how, std::string *why)
{
	std::unique_ptr<Reader> r(new Reader);
	r->name_ = object;
	std::string path = std::string(TLD_BPF_GEN_DIR) + "/" + object + ".bpf.o";
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	if (how == Reuse::PinName)
		opts.pin_root_path = pin_root.c_str();
	r->obj_ = bpf_object__open_file(path.c_str(), &opts);
	if (!r->obj_) {
		*why = "open " + path + ": " + strerror(errno);
		return nullptr;
	}
	bpf_map *map = bpf_object__find_map_by_name(r->obj_, "tld_data_map");
	std::string pin = pin_root + "/tld_data_map";
	Fd fd;
	int err = 0;
	if (!map) {
		err = -ENOENT;
	} else if (how == Reuse::Fd) {
		fd.reset(bpf_obj_get(pin.c_str()));
		err = fd ? bpf_map__reuse_fd(map, fd.get()) : -errno;
	} else if (how == Reuse::PinPath) {
		err = bpf_map__set_pin_path(map, pin.c_str());
	}
	if (!err)
		err = bpf_object__load(r->obj_);
	if (err) {
		*why = object + ": reusing " + pin + " and loading: " + strerror(-err);
		return nullptr;
	}
	return r;
}

int Reader::forget(int pidfd) const
{
	bpf_map *map = bpf_object__find_map_by_name(obj_, "tld_key_map");
	if (!map)
		return -ENOENT;
	int err = bpf_map_delete_elem(bpf_map__fd(map), &pidfd);
	return err && errno != ENOENT ? -errno : 0;
}

Reader::~Reader()
{
	bpf_object__close(obj_);
}

std::map<pid_t, interop_rec> Reader::read(pid_t pid, pid_t tid) const
{
	std::map<pid_t, interop_rec> out;
	bpf_program *prog = bpf_object__next_program(obj_, nullptr);
	union bpf_iter_link_info info = {};
	info.task.pid = static_cast<__u32>(pid);
	info.task.tid = static_cast<__u32>(tid);
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
	bpf_link *link = prog ? bpf_program__attach_iter(prog, &opts) : nullptr;
	if (!link)
		return out;
	Fd iter(bpf_iter_create(bpf_link__fd(link)));
	std::string bytes;
	char buf[1 << 14];
	ssize_t n;
	while (iter &&
	       ((n = ::read(iter.get(), buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			bytes.append(buf, static_cast<size_t>(n));
	bpf_link__destroy(link);
	for (size_t pos = 0; pos + sizeof(interop_rec) <= bytes.size();
	     pos += sizeof(interop_rec)) {
		interop_rec rec;
		memcpy(&rec, bytes.data() + pos, sizeof(rec));
		out[rec.tid] = rec;
	}
	return out;
}

} // namespace tld::test
