// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "pins.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <linux/magic.h>
#include <memory>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <utility>

#include <tld/abi.h>

#include "log.h"
#include "progs/uptr_probe.h"
#include "tld_maps.skel.h"

namespace tld::tldd {

namespace {

std::string parent_of(const std::string &path)
{
	auto pos = path.find_last_of('/');
	return pos == 0 || pos == std::string::npos ? std::string("/") : path.substr(0, pos);
}

bool on_bpffs(const std::string &path)
{
	struct statfs sf;
	return statfs(path.c_str(), &sf) == 0 && sf.f_type == static_cast<long>(BPF_FS_MAGIC);
}

// Creates `root` (and missing parents, which must then be on the same bpffs). A bpffs is
// mounted only on the root itself or its parent: never over an unrelated ancestor such as /.
Result<void> ensure_bpffs(const std::string &root)
{
	std::string have = root;
	while (have != "/" && access(have.c_str(), F_OK) != 0)
		have = parent_of(have);
	if (!on_bpffs(have)) {
		if (have != root && have != parent_of(root)) {
			LOG_E("%s is not on a bpffs and %s is not its parent: refusing to mount "
			      "there",
			      root.c_str(), have.c_str());
			return Error{ENOTDIR, "bpffs for the pin root"};
		}
		if (mount("bpf", have.c_str(), "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		          "mode=0700"))
			return error_from_errno("mount bpffs", errno);
		LOG_N("mounted a bpffs on %s", have.c_str());
	}
	// Create the missing components top-down; only root may look inside.
	while (have != root) {
		std::string next = root.substr(0, root.find('/', have.size() + 1));
		if (mkdir(next.c_str(), 0700) != 0 && errno != EEXIST)
			return error_from_errno("mkdir pin root", errno);
		have = next;
	}
	return {};
}

// What matters about the value is that the kernel treats data and meta as uptrs.
Result<void> check_uptrs(int map_fd)
{
	Result<progs::UptrFields> fields = progs::probe_uptr_fields(map_fd);
	if (!fields)
		return fields.error();
	if (*fields == progs::UptrFields::plain) {
		LOG_E("pinned map's data/meta are not uptrs (BTF without the uptr tag)");
		return Error{EINVAL, "pinned map is not a tld_data_map"};
	}
	return {};
}

// tld_map_value before TLD_ABI_VERSION 2: {data, meta, start, flags}.
constexpr __u32 kAbi1ValueSize = 24;

// A pinned map is ours if it has the ABI's shape and a BTF value type of the ABI's name:
// anything else would make BPF consumers read garbage through uptrs that are not there.
Result<void> check_compatible(int fd, const std::string &path)
{
	bpf_map_info info{};
	__u32 len = sizeof(info);
	if (int err = bpf_obj_get_info_by_fd(fd, &info, &len))
		return error_from_errno("bpf_obj_get_info_by_fd", err);
	if (info.type == BPF_MAP_TYPE_TASK_STORAGE && info.key_size == sizeof(int) &&
	    info.value_size == kAbi1ValueSize) {
		LOG_E("%s was pinned by an older tldd (ABI 1: %u-byte values, several threads a "
		      "page), which consumers of upstream's layout misread; stop tldd and run "
		      "`tldd --remove-pins`, then start it again (programs registered in the old "
		      "map keep their hints there until they exit)",
		      path.c_str(), info.value_size);
		return Error{EINVAL, "pinned tld_data_map of ABI 1: run tldd --remove-pins"};
	}
	if (info.type != BPF_MAP_TYPE_TASK_STORAGE || info.key_size != sizeof(int) ||
	    info.value_size != sizeof(tld_map_value) || !(info.map_flags & BPF_F_NO_PREALLOC)) {
		LOG_E("pinned map has type %u key %u value %u flags %#x; tld needs task storage, "
		      "key 4, value %zu",
		      info.type, info.key_size, info.value_size, info.map_flags,
		      sizeof(tld_map_value));
		return Error{EINVAL, "pinned map is not a tld_data_map"};
	}
	// The value type's name, when we may read BTF (BPF_BTF_GET_FD_BY_ID needs CAP_SYS_ADMIN).
	std::unique_ptr<btf, void (*)(btf *)> b(btf__load_from_kernel_by_id(info.btf_id),
	                                        btf__free);
	if (b) {
		const btf_type *t = btf__type_by_id(b.get(), info.btf_value_type_id);
		const char *name = t ? btf__name_by_offset(b.get(), t->name_off) : nullptr;
		if (!name || strcmp(name, "tld_map_value") != 0) {
			LOG_E("pinned map's value type is '%s', not tld_map_value",
			      name ? name : "?");
			return Error{EINVAL, "pinned map has no tld_map_value BTF"};
		}
	} else {
		LOG_D("cannot read the pinned map's BTF (%s); checking its uptrs instead",
		      strerror(errno));
	}
	return check_uptrs(fd);
}

// tld_broker_map is tldd's own: task storage of struct tld_broker_entry.
Result<void> check_broker_map(int fd, const std::string &path)
{
	bpf_map_info info{};
	__u32 len = sizeof(info);
	if (int err = bpf_obj_get_info_by_fd(fd, &info, &len))
		return error_from_errno("bpf_obj_get_info_by_fd", err);
	if (info.type != BPF_MAP_TYPE_TASK_STORAGE || info.key_size != sizeof(int) ||
	    info.value_size != sizeof(tld_broker_entry)) {
		LOG_E("%s has type %u key %u value %u; tld needs task storage, key 4, value %zu "
		      "(`tldd --remove-pins` removes it)",
		      path.c_str(), info.type, info.key_size, info.value_size,
		      sizeof(tld_broker_entry));
		return Error{EINVAL, "pinned map is not a tld_broker_map"};
	}
	return {};
}

Fd dup_fd(const bpf_map *map)
{
	return Fd(fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 3));
}

// Creates whichever of the two maps has no pin (fd < 0) from tld_maps.bpf.c, so both carry the
// BTF consumers expect; the other is reused as it is.
Result<std::pair<Fd, Fd>> create_maps(int data_fd, int broker_fd)
{
	std::unique_ptr<tld_maps, void (*)(tld_maps *)> skel(tld_maps__open(), tld_maps__destroy);
	if (!skel)
		return error_from_errno("open tld_maps", errno);
	if (data_fd >= 0)
		if (int err = bpf_map__reuse_fd(skel->maps.tld_data_map, data_fd))
			return error_from_errno("reuse tld_data_map", err);
	if (broker_fd >= 0)
		if (int err = bpf_map__reuse_fd(skel->maps.tld_broker_map, broker_fd))
			return error_from_errno("reuse tld_broker_map", err);
	if (int err = tld_maps__load(skel.get()))
		return error_from_errno("create tld_data_map", err);
	Fd data = dup_fd(skel->maps.tld_data_map), broker = dup_fd(skel->maps.tld_broker_map);
	if (!data || !broker)
		return error_from_errno("dup map fd", errno);
	return std::pair<Fd, Fd>(std::move(data), std::move(broker));
}

// The pinned map at @path, checked by @check; an empty Fd when nothing is pinned there.
Result<Fd> adopt(const std::string &path, Result<void> (*check)(int, const std::string &))
{
	Fd fd(bpf_obj_get(path.c_str()));
	if (!fd) {
		if (errno == ENOENT)
			return Fd();
		return error_from_errno("bpf_obj_get(pin)", errno);
	}
	if (auto r = check(fd.get(), path); !r)
		return r.error();
	return fd;
}

Result<void> set_mode(const std::string &path, const PinSettings &s, mode_t group_mode)
{
	mode_t mode = s.direct_group ? group_mode : 0600;
	if (chown(path.c_str(), 0, s.direct_group ? s.direct_gid : 0) != 0 ||
	    chmod(path.c_str(), mode) != 0)
		return error_from_errno("chmod/chown pin", errno);
	return {};
}

} // namespace

Result<MapPins> MapPins::open(const PinSettings &s)
{
	if (auto r = ensure_bpffs(s.root); !r)
		return r.error();
	MapPins pins;
	pins.path_ = s.root + "/" TLD_DATA_MAP_NAME;
	const std::string broker_path = s.root + "/" TLD_BROKER_MAP_NAME;
	for (int attempt = 0; attempt < 2 && !(pins.data_map_ && pins.broker_map_); attempt++) {
		auto data = adopt(pins.path_, check_compatible);
		if (!data)
			return data.error();
		auto broker = adopt(broker_path, check_broker_map);
		if (!broker)
			return broker.error();
		pins.adopted_ = static_cast<bool>(*data);
		if (*data && *broker) {
			pins.data_map_ = std::move(data.value());
			pins.broker_map_ = std::move(broker.value());
			break;
		}
		auto created = create_maps(data->get(), broker->get());
		if (!created)
			return created.error();
		// A pin is born 0600 (bpffs applies the umask we set to 077); EEXIST means another
		// tldd won the race: adopt its maps instead.
		bool lost = false;
		if (!*data && bpf_obj_pin(created->first.get(), pins.path_.c_str()) != 0)
			lost = true;
		if (!lost && !*broker &&
		    bpf_obj_pin(created->second.get(), broker_path.c_str()) != 0)
			lost = true;
		if (lost && errno != EEXIST)
			return error_from_errno("bpf_obj_pin", errno);
		if (!lost) {
			pins.data_map_ = std::move(created->first);
			pins.broker_map_ = std::move(created->second);
		}
	}
	if (!pins.data_map_ || !pins.broker_map_)
		return Error{EAGAIN, "pin tld_data_map"};
	if (auto r = set_mode(pins.path_, s, 0660); !r)
		return r.error();
	// The group reads it (tldctl list's PATH) but only tldd marks entries.
	if (auto r = set_mode(broker_path, s, 0640); !r)
		return r.error();
	if (s.direct_group &&
	    (chown(s.root.c_str(), 0, s.direct_gid) != 0 || chmod(s.root.c_str(), 0750) != 0))
		return error_from_errno("chmod/chown pin root", errno);
	return pins;
}

Result<void> MapPins::remove(const std::string &root)
{
	for (const char *name : {TLD_DATA_MAP_NAME, TLD_BROKER_MAP_NAME}) {
		std::string path = root + "/" + name;
		if (unlink(path.c_str()) != 0 && errno != ENOENT)
			return error_from_errno("unlink pin", errno);
	}
	// A bpffs on the root itself is the one ensure_bpffs() mounts (nothing else mounts one
	// there); once empty it goes, or the directory could not. A bpffs on the parent may be
	// the system's (/sys/fs/bpf) and stays.
	struct stat st, up;
	if (on_bpffs(root) && stat(root.c_str(), &st) == 0 &&
	    stat(parent_of(root).c_str(), &up) == 0 && st.st_dev != up.st_dev) {
		if (umount2(root.c_str(), 0) != 0 && errno != EBUSY)
			return error_from_errno("unmount the pin root's bpffs", errno);
	}
	if (rmdir(root.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY)
		return error_from_errno("rmdir pin root", errno);
	return {};
}

} // namespace tld::tldd
