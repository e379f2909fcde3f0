// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The pinned maps: tld_data_map and tldd's tld_broker_map under the pin root, created once and
// adopted by every later tldd so registrations made before a restart stay visible to BPF.
#pragma once

#include <string>
#include <sys/types.h>

#include "sys/fd.h"
#include "sys/result.h"

namespace tld::tldd {

struct PinSettings {
	std::string root;     // e.g. /sys/fs/bpf/tld
	gid_t direct_gid = 0; // group given read-write access to the pin; 0 = root only
	bool direct_group = false;
};

class MapPins {
public:
	// Makes sure `root` is on a bpffs (mounting one on the root or its parent if neither is),
	// then adopts compatible pinned maps or creates and pins new ones. A tld_data_map of an
	// older ABI is refused, naming the command that removes it.
	static Result<MapPins> open(const PinSettings &s);
	// Removes the pins and the pin root if that leaves it empty (uninstall). Maps live on while
	// anything holds them; registrations of running threads stay until the threads exit.
	static Result<void> remove(const std::string &root);

	int data_map() const { return data_map_.get(); }
	int broker_map() const { return broker_map_.get(); }
	bool adopted() const { return adopted_; }
	const std::string &data_map_path() const { return path_; }

private:
	Fd data_map_;
	Fd broker_map_; // tld_broker_map, next to it: which entries tldd made
	bool adopted_ = false;
	std::string path_;
};

} // namespace tld::tldd
