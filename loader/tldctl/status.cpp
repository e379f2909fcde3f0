// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl status: is tldd up, what is pinned, how many threads are registered and how much
// memory their registrations pin. Exits 1 when tldd is down, a kernel check fails, or root
// cannot read the map.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <iostream>
#include <set>
#include <unistd.h>

#include <tldctl/records.h>

#include "commands.h"
#include "json.h"
#include "kernel_checks.h"
#include "map_session.h"
#include "tldd_client.h"

namespace tld::ctl {

namespace {

struct Pinned {
	std::string path;
	std::string kind; // map, prog, link, or what readlink says
	uint32_t id = 0;
	std::string name;
	std::string type; // libbpf's name of the map, program or link type ("task_storage")
	std::string error;
};

// libbpf's name for a type, or the number if this libbpf does not know it.
std::string type_name(const char *name, uint32_t type)
{
	return name ? name : std::to_string(type);
}

// The kind of a BPF object fd: its anon inode says "bpf-map", "bpf-prog" or "bpf_link".
std::string fd_kind(int fd)
{
	char link[64], target[128] = {};
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	std::string t(target, n > 0 ? size_t(n) : 0);
	if (t.find("bpf-map") != std::string::npos)
		return "map";
	if (t.find("bpf-prog") != std::string::npos)
		return "prog";
	if (t.find("bpf_link") != std::string::npos || t.find("bpf-link") != std::string::npos)
		return "link";
	return t.empty() ? "unknown" : t;
}

void scan_pins(const std::string &dir, int depth, std::vector<Pinned> &out)
{
	DIR *d = opendir(dir.c_str());
	if (!d) {
		out.push_back({dir, "", 0, "", "", strerror(errno)});
		return;
	}
	while (dirent *e = readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		std::string path = dir + "/" + e->d_name;
		if (e->d_type == DT_DIR) {
			if (depth < 2)
				scan_pins(path, depth + 1, out);
			continue;
		}
		Pinned p{path, "", 0, "", "", ""};
		Fd fd(bpf_obj_get(path.c_str()));
		// ENOENT: a file that is not a pinned object (bpffs's own maps.debug, progs.debug).
		if (!fd && errno == ENOENT)
			continue;
		if (!fd) {
			p.error = strerror(errno);
			out.push_back(p);
			continue;
		}
		p.kind = fd_kind(fd.get());
		if (p.kind == "map") {
			bpf_map_info info = {};
			uint32_t len = sizeof(info);
			if (!bpf_obj_get_info_by_fd(fd.get(), &info, &len)) {
				p.id = info.id;
				p.name = info.name;
				p.type = type_name(libbpf_bpf_map_type_str(
				                           static_cast<bpf_map_type>(info.type)),
				                   info.type);
			}
		} else if (p.kind == "prog") {
			bpf_prog_info info = {};
			uint32_t len = sizeof(info);
			if (!bpf_obj_get_info_by_fd(fd.get(), &info, &len)) {
				p.id = info.id;
				p.name = info.name;
				p.type = type_name(libbpf_bpf_prog_type_str(
				                           static_cast<bpf_prog_type>(info.type)),
				                   info.type);
			}
		} else if (p.kind == "link") {
			bpf_link_info info = {};
			uint32_t len = sizeof(info);
			if (!bpf_obj_get_info_by_fd(fd.get(), &info, &len)) {
				p.id = info.id;
				p.type = type_name(libbpf_bpf_link_type_str(
				                           static_cast<bpf_link_type>(info.type)),
				                   info.type);
			}
		}
		out.push_back(p);
	}
	closedir(d);
}

struct Counts {
	bool read = false;
	std::string error;
	size_t processes = 0, threads = 0, meta_pages = 0, data_pages = 0, brokered = 0;
};

Counts count_registrations(const Context &ctx)
{
	Counts c;
	if (geteuid() != 0) {
		c.error = "needs root";
		return c;
	}
	try {
		Session session(ctx, "tldctl status");
		auto threads = session.read_all();
		std::set<pid_t> pids;
		std::set<uint64_t> meta, data;
		for (const auto &t : threads) {
			c.brokered += (t.flags & TLDCTL_REC_BROKERED) != 0;
			pids.insert(t.pid);
			if (t.meta_page)
				meta.insert(t.meta_page);
			if (t.data_page)
				data.insert(t.data_page);
		}
		c.read = true;
		c.processes = pids.size();
		c.threads = threads.size();
		c.meta_pages = meta.size();
		c.data_pages = data.size();
	} catch (const CliError &e) {
		c.error = e.what();
	}
	return c;
}

} // namespace

int cmd_status(Context &ctx, const Args &args)
{
	po::options_description opts("status options");
	po::positional_options_description pos;
	parse_subcommand(
	        "tldctl status [--json]",
	        "Shows whether tldd answers on its socket, the objects pinned under the\n"
	        "pin root, how many processes and threads are registered in tld_data_map\n"
	        "and how many pages their registrations pin, and whether the kernel has\n"
	        "what tld needs (docs/troubleshooting.md explains each check). Exits 1 if\n"
	        "tldd is down, a kernel check fails or (as root) the map cannot be read.\n"
	        "Counting registrations needs root.",
	        opts, pos, args);

	TlddView tldd = query_tldd(ctx.socket);
	std::vector<Pinned> pins;
	scan_pins(ctx.pin_root, 0, pins);
	Counts c = count_registrations(ctx);
	size_t pages = c.meta_pages + c.data_pages;
	auto checks = kernel::run_checks({"/sys/kernel/btf/vmlinux", ctx.pin_root});
	// tldd answering while its map is no longer pinned (removed under it) registers threads
	// into a map no BPF consumer can open: not "up".
	// A pin this user may not open or look for counts as there.
	bool map_pinned = false;
	const std::string suffix = "/tld_data_map", denied = strerror(EACCES);
	for (const auto &p : pins)
		map_pinned |= p.error == denied ||
		              (p.path.size() > suffix.size() && p.path.ends_with(suffix));
	std::string unpinned = "tld_data_map is not pinned under " + ctx.pin_root +
	                       ": BPF cannot find what it registers (restart tldd)";

	if (ctx.json) {
		JsonWriter j;
		j.begin_object()
		        .key("tldd")
		        .begin_object()
		        .field("up", tldd.up)
		        .field("socket", ctx.socket);
		if (!tldd.up)
			j.field("error", tldd.error);
		else if (!map_pinned)
			j.field("error", unpinned);
		else if (!tldd.detailed)
			j.field("error", tldd.detail_error);
		j.field("map_pinned", map_pinned);
		if (tldd.detailed) {
			j.field("pid", tldd.pid).field("clients", tldd.clients);
			j.field("threads", tldd.threads).field("mapped_bytes", tldd.mapped_bytes);
			j.field("clients_at_thread_limit", tldd.at_thread_limit);
			j.key("limits").begin_object().field("max_clients", tldd.max_clients);
			j.field("max_threads_per_client", tldd.max_threads_per_client);
			j.field("max_memfd_bytes", tldd.max_memfd_bytes).end_object();
		}
		j.end_object().field("pin_root", ctx.pin_root).key("pinned").begin_array();
		for (const auto &p : pins) {
			j.begin_object().field("path", p.path);
			if (p.error.empty())
				j.field("kind", p.kind)
				        .field("id", p.id)
				        .field("name", p.name)
				        .field("type", p.type);
			else
				j.field("error", p.error);
			j.end_object();
		}
		j.end_array().key("registered").begin_object();
		if (c.read)
			j.field("processes", c.processes)
			        .field("threads", c.threads)
			        .field("meta_pages", c.meta_pages)
			        .field("data_pages", c.data_pages)
			        .field("brokered_threads", c.brokered)
			        .field("pinned_bytes", pages * 4096);
		else
			j.field("error", c.error);
		j.end_object().key("kernel").begin_array();
		for (const auto &k : checks)
			j.begin_object()
			        .field("name", k.name)
			        .field("verdict", kernel::verdict_name(k.verdict))
			        .field("message", k.message)
			        .end_object();
		j.end_array().end_object();
		std::cout << j.text() << "\n";
	} else {
		std::string state = !tldd.up     ? "down: " + tldd.error
		                    : map_pinned ? "up (" + ctx.socket + ")"
		                                 : "serving " + ctx.socket + ", but " + unpinned;
		printf("tldd:           %s\n", state.c_str());
		if (tldd.detailed) {
			printf("  pid %d, %u clients, %u threads registered through it, %lu KiB of "
			       "clients' memory mapped\n",
			       tldd.pid, tldd.clients, tldd.threads,
			       (unsigned long)(tldd.mapped_bytes / 1024));
			printf("  limits: %u clients, %u threads per client, %lu KiB memfd per "
			       "client\n",
			       tldd.max_clients, tldd.max_threads_per_client,
			       (unsigned long)(tldd.max_memfd_bytes / 1024));
			if (tldd.at_thread_limit)
				printf("  %u clients at the thread limit: their further threads "
				       "run "
				       "without hints (max-threads-per-client)\n",
				       tldd.at_thread_limit);
		} else if (tldd.up) {
			printf("  no details: %s\n", tldd.detail_error.c_str());
		}
		printf("pin root:       %s\n", ctx.pin_root.c_str());
		for (const auto &p : pins) {
			if (p.error.empty())
				printf("  %-32s %s id %u %s\n", p.path.c_str(), p.kind.c_str(),
				       p.id, p.name.c_str());
			else
				printf("  %-32s %s\n", p.path.c_str(), p.error.c_str());
		}
		if (c.read) {
			printf("registered:     %zu processes, %zu threads (%zu brokered by "
			       "tldd)\n",
			       c.processes, c.threads, c.brokered);
			printf("pinned memory:  %zu pages (%zu KiB): %zu meta, %zu data\n", pages,
			       pages * 4, c.meta_pages, c.data_pages);
		} else {
			printf("registered:     unknown: %s\n", c.error.c_str());
		}
		printf("kernel:\n%s", kernel::format_checks(checks).c_str());
	}
	// Without root the counts are unknown by design, not a failure.
	bool counted = c.read || geteuid() != 0;
	return tldd.up && map_pinned && counted && kernel::all_usable(checks) ? kExitOk
	                                                                      : kExitFailure;
}

} // namespace tld::ctl
