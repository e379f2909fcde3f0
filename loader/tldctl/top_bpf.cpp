// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "top_bpf.h"

#include <cerrno>
#include <cstring>

#include <bpf/bpf.h>

namespace tld::ctl {

Result<TopConsumer> TopConsumer::load(int map_fd, const TopConfig &config)
{
	if (config.size != 1 && config.size != 2 && config.size != 4 && config.size != 8)
		return Error{EINVAL, "checking the hint size"};
	if (config.key.empty() || config.key.size() >= TLD_NAME_LEN)
		return Error{EINVAL, "checking the hint name"};
	auto skel = Skel::open();
	if (!skel)
		return skel.error();
	tldctl_top *s = skel->get();
	s->rodata->hint_size = config.size;
	s->rodata->filter_tgid = uint32_t(config.pid);
	s->rodata->count_unhinted = config.count_unhinted;
	memset(&s->bss->hint_name, 0, sizeof(s->bss->hint_name));
	memcpy(s->bss->hint_name.c, config.key.data(), config.key.size());
	s->bss->hint_len = uint32_t(config.key.size() + 1);
	if (auto r = reuse_map(s->maps.tld_data_map, map_fd); !r)
		return r.error();
	if (auto r = skel->load(); !r)
		return r.error();
	return TopConsumer(std::move(skel.value()));
}

Result<void> TopConsumer::attach()
{
	for (const bpf_program *p : programs()) {
		Link l(bpf_program__attach(p));
		if (!l)
			return error_from_errno("attaching to a scheduler tracepoint", errno);
		links_.push_back(std::move(l));
	}
	return {};
}

void TopConsumer::detach()
{
	links_.clear();
}

std::vector<const bpf_program *> TopConsumer::programs() const
{
	return {skel_->progs.tldctl_top_switch, skel_->progs.tldctl_top_wakeup,
	        skel_->progs.tldctl_top_wakeup_new};
}

Result<Snapshot> TopConsumer::snapshot() const
{
	int fd = bpf_map__fd(skel_->maps.class_stats);
	int ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return error_from_errno("counting possible CPUs", ncpus);
	std::vector<tldctl_top_stats> percpu(static_cast<size_t>(ncpus));
	Snapshot snap;
	int direct = bpf_map__fd(skel_->maps.class_direct);
	for (uint32_t slot = 0; slot <= TLDCTL_TOP_DIRECT; slot++) {
		if (bpf_map_lookup_elem(direct, &slot, percpu.data()))
			return error_from_errno("reading the class statistics", errno);
		ClassStats c;
		for (const auto &s : percpu)
			c += s;
		if (c.runs || c.wakeups || c.cpu_ns)
			snap[ClassKey{slot < TLDCTL_TOP_DIRECT,
			              slot < TLDCTL_TOP_DIRECT ? slot : 0}] = c;
	}
	tldctl_top_key key, next;
	tldctl_top_key *prev = nullptr;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, percpu.data()) == 0) {
			ClassStats &c = snap[ClassKey{next.hinted != 0, next.value}];
			for (const auto &s : percpu)
				c += s;
		}
		key = next;
		prev = &key;
	}
	if (errno != ENOENT)
		return error_from_errno("reading the class statistics", errno);
	return snap;
}

uint64_t TopConsumer::dropped() const
{
	return __atomic_load_n(&skel_->bss->dropped, __ATOMIC_RELAXED);
}

} // namespace tld::ctl
