// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "exec_hook.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <memory>
#include <unistd.h>

#include <tld/abi.h>

#include "log.h"
#include "sys/fd.h"
#include "tld_exec.skel.h"

namespace tld::tldd {
namespace {

std::string link_path(const std::string &root)
{
	return root + "/" + kExecLinkName;
}

// Whether the pinned object is a raw tracepoint link (what tp_btf attaches as) whose program
// uses `map_id`. Without CAP_SYS_ADMIN the program cannot be opened by id: such a link in our
// root-only pin root is then taken to be ours.
bool hooks_map(int link_fd, __u32 map_id)
{
	bpf_link_info link{};
	__u32 len = sizeof(link);
	if (bpf_obj_get_info_by_fd(link_fd, &link, &len) != 0 ||
	    link.type != BPF_LINK_TYPE_RAW_TRACEPOINT)
		return false;
	Fd prog(bpf_prog_get_fd_by_id(link.prog_id));
	if (!prog)
		return errno == EPERM;
	__u32 ids[8] = {};
	bpf_prog_info info{};
	info.nr_map_ids = 8;
	info.map_ids = reinterpret_cast<__u64>(ids);
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog.get(), &info, &len) != 0)
		return false;
	for (__u32 i = 0; i < info.nr_map_ids && i < 8; i++)
		if (ids[i] == map_id)
			return true;
	return false;
}

__u32 map_id_of(int map_fd)
{
	bpf_map_info info{};
	__u32 len = sizeof(info);
	return bpf_obj_get_info_by_fd(map_fd, &info, &len) == 0 ? info.id : 0;
}

// Loads the program against the pinned map, attaches it and pins the link. EEXIST: another
// tldd pinned one first.
Result<void> attach_and_pin(const std::string &path, int map_fd)
{
	std::unique_ptr<tld_exec, void (*)(tld_exec *)> skel(tld_exec__open(), tld_exec__destroy);
	if (!skel)
		return error_from_errno("open the exec hook", errno);
	if (int err = bpf_map__reuse_fd(skel->maps.tld_data_map, map_fd))
		return error_from_errno("reuse tld_data_map for the exec hook", err);
	if (int err = tld_exec__load(skel.get()))
		return error_from_errno("load the exec hook (tp_btf/sched_process_exec)", err);
	bpf_link *link = bpf_program__attach(skel->progs.tld_exec_drop);
	if (!link)
		return error_from_errno("attach the exec hook", errno);
	skel->links.tld_exec_drop = link;
	if (int err = bpf_link__pin(link, path.c_str()))
		return error_from_errno("pin the exec hook's link", err);
	// The pin holds the link now: closing our fd must not detach it.
	bpf_link__disconnect(link);
	return {};
}

} // namespace

Result<bool> open_exec_hook(const std::string &pin_root, int map_fd)
{
	const std::string path = link_path(pin_root);
	const __u32 map_id = map_id_of(map_fd);
	for (int attempt = 0; attempt < 3; attempt++) {
		Fd pinned(bpf_obj_get(path.c_str()));
		if (pinned) {
			if (hooks_map(pinned.get(), map_id))
				return true;
			// A hook on a map that was replaced (or not a link at all): it cleans up
			// nothing of ours.
			LOG_W("%s is not an exec hook on %s/tld_data_map; replacing it",
			      path.c_str(), pin_root.c_str());
			if (unlink(path.c_str()) != 0 && errno != ENOENT)
				return error_from_errno("unlink the stale exec hook", errno);
			continue;
		}
		if (errno != ENOENT)
			return error_from_errno("bpf_obj_get(exec hook)", errno);
		auto r = attach_and_pin(path, map_fd);
		if (r)
			return false;
		if (r.error().code != EEXIST)
			return r.error();
	}
	return Error{EAGAIN, "pin the exec hook"};
}

Result<void> remove_exec_hook(const std::string &pin_root)
{
	if (unlink(link_path(pin_root).c_str()) != 0 && errno != ENOENT)
		return error_from_errno("unlink the exec hook", errno);
	return {};
}

} // namespace tld::tldd
