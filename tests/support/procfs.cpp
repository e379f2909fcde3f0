// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "procfs.h"

#include <dirent.h>
#include <fstream>
#include <sstream>

namespace tld::test {

std::set<pid_t> live_tids(pid_t pid)
{
	std::set<pid_t> tids;
	std::string dir = "/proc/" + std::to_string(pid) + "/task";
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d))
			if (e->d_name[0] != '.')
				tids.insert(std::stoi(e->d_name));
		closedir(d);
	}
	return tids;
}

std::string comm_of(pid_t pid)
{
	std::string comm;
	std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
	std::getline(f, comm);
	return comm;
}

std::string read_file(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

} // namespace tld::test
