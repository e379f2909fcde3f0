// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "fixture.h"

#include <algorithm>
#include <boost/property_tree/json_parser.hpp>
#include <fstream>
#include <sstream>

#include <bpf/bpf.h>

namespace tld::test {

void TldctlTest::SetUp()
{
	ASSERT_TRUE(bpffs_.ok());
	ASSERT_GE(map_.fd(), 0) << map_.error();
	ASSERT_EQ(bpf_obj_pin(map_.fd(), map_path().c_str()), 0)
	        << "pinning tld_data_map: " << strerror(errno);
	config_path_ = dir_.path() + "/keys.conf";
	std::ofstream(config_path_) << kTestKeysConf;
	socket_path_ = dir_.path() + "/tldd.sock"; // nobody listens: tldd is down
}

RunResult TldctlTest::tldctl(const std::vector<std::string> &args, uid_t uid) const
{
	std::vector<std::string> argv = {TLDCTL_PATH};
	auto given = [&](const char *opt) {
		return std::find(args.begin(), args.end(), opt) != args.end();
	};
	if (!given("--pin-root"))
		argv.insert(argv.end(), {"--pin-root", bpffs_.path()});
	if (!given("--config"))
		argv.insert(argv.end(), {"--config", config_path_});
	argv.insert(argv.end(), {"--socket", socket_path_});
	argv.insert(argv.end(), args.begin(), args.end());
	return run(Command{.argv = argv, .inherit_env = true, .uid = uid});
}

boost::property_tree::ptree parse_json_text(const std::string &text)
{
	boost::property_tree::ptree tree;
	std::istringstream in(text);
	try {
		boost::property_tree::read_json(in, tree);
	} catch (const std::exception &e) {
		ADD_FAILURE() << "not JSON: " << e.what() << "\n" << text;
	}
	return tree;
}

WorkloadSpec TldctlTest::spec(int threads) const
{
	WorkloadSpec s;
	s.map_path = map_path();
	s.keys = {{"class", 4}, {"prio", 4}, {"urgent", 1}, {"role", 16}, {"opaque", 2}};
	s.threads = threads;
	s.thread_name = "worker";
	s.init = [](int i, const std::vector<void *> &p) {
		*static_cast<uint32_t *>(p[0]) = uint32_t(i % 2);
		*static_cast<int32_t *>(p[1]) = -10 - i;
		*static_cast<uint8_t *>(p[2]) = i == 0;
		snprintf(static_cast<char *>(p[3]), 16, "w%d", i);
		*static_cast<uint16_t *>(p[4]) = uint16_t(0xbe00 + i);
	};
	return s;
}

} // namespace tld::test
