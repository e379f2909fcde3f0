// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "test_map.h"

#include <cstring>

#include <bpf/libbpf.h>
#include <tld/abi.h> // before the skeleton, which names struct tld_btf_anchor

#include "tld_maps.skel.h"

namespace tld::test {

TestMap::TestMap()
{
	skel_ = tld_maps__open_and_load();
	if (!skel_)
		error_ = std::string("loading tld_maps.bpf.o: ") + std::strerror(errno);
}

TestMap::~TestMap()
{
	tld_maps__destroy(skel_);
}

int TestMap::fd() const
{
	return skel_ ? bpf_map__fd(skel_->maps.tld_data_map) : -1;
}

} // namespace tld::test
