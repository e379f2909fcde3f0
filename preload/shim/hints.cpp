// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The config is parsed once, in the constructor; per thread, resolve_values() fills a buffer on
// the stack (no allocation, no lock) and the bytes are copied to the key offsets libtld gave.
#include "hints.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <linux/prctl.h>
#include <new>
#include <sys/syscall.h>
#include <unistd.h>

#include <tld/tld.h>

#include "config/keys_config.h"
#include "libtld/arena.h"
#include "libtld/keys.h"
#include "log.h"
#include "phases.h"

namespace tld::shim {
namespace {

config::KeysConfig *g_config = nullptr;
std::int16_t g_offsets[TLD_MAX_KEYS];
const char *g_exe = nullptr; // the executable's path, for rules by exe; set once, at start

bool load_config(config::KeysConfig &out)
{
	const char *path = env("TLD_CONFIG");
	if (!path || !*path)
		path = config::kDefaultKeysConfigPath;
	auto parsed = config::load_keys_config(path);
	if (!parsed) {
		warn_once("%s; running without hints", parsed.error().message().c_str());
		return false;
	}
	out = std::move(parsed.value());
	debug("config %s: %zu keys, %zu rules", path, out.keys.size(), out.rules.size());
	if (const char *set = env("TLD_SET")) {
		auto overrides = config::parse_tld_set(out, set);
		if (!overrides) {
			warn_once("%s; running without hints", overrides.error().message().c_str());
			return false;
		}
		out.overrides = std::move(overrides.value());
	}
	return true;
}

// What an arena failure means, so that it is not read as a problem of the config.
const char *arena_cause(int err)
{
	switch (err) {
	case -ENOMEM:
		return "not enough memory or address space (ulimit -v, a cgroup limit)";
	case -EMFILE:
	case -ENFILE:
		return "no free fd";
	case -EPERM:
	case -EACCES:
	case -ENOSYS:
		return "memfd_create refused (a seccomp filter or security module)";
	default:
		return "memfd_create, ftruncate or mmap failed";
	}
}

// A program's tld_create_key() of a config key's name. With its size it is the config's key
// (a debug line); with another it fails (-EEXIST), and the program's own stderr says why,
// since the program made the call.
void on_shared_key(const char *name, std::size_t shared_size, std::size_t asked_size)
{
	const config::KeysConfig *cfg = g_config;
	int i = cfg ? cfg->find_key(name) : -1;
	if (i < 0)
		return;
	const auto &k = cfg->keys[static_cast<std::size_t>(i)];
	if (shared_size == asked_size) {
		debug("tld_create_key(\"%s\", %zu): the key %s:%d declares, shared with the "
		      "program",
		      name, asked_size, cfg->file.c_str(), k.line);
		return;
	}
	program_error("tld_create_key(\"%s\", %zu): %s:%d declares %s as %s (%zu bytes); a key of "
	              "the same name is the same key only with the same size: refused (EEXIST)",
	              name, asked_size, cfg->file.c_str(), k.line, name, k.type.name().c_str(),
	              shared_size);
}

} // namespace

bool hints_parse(StartPhases &phases)
{
	auto *cfg = new (std::nothrow) config::KeysConfig;
	if (!cfg || !load_config(*cfg)) {
		delete cfg;
		return false;
	}
	phases.mark("config");
	set_quiet(cfg->options.quiet);
	g_config = cfg;
	return true;
}

// The parsed config is dropped on failure: nothing applies its values any more.
static bool drop_config()
{
	delete g_config;
	g_config = nullptr;
	return false;
}

bool hints_create_keys(StartPhases &phases)
{
	config::KeysConfig *cfg = g_config;
	if (!cfg)
		return false;
	// keys::set_reserve(), not tld_set_dyn_reserve(): the exported call starts a dormant
	// process, which is what is being done here.
	if (int err = keys::set_reserve(cfg->options.dyn_reserve); err < 0)
		debug("dyn_reserve %u not applied: %s", cfg->options.dyn_reserve, strerror(-err));
	// The keys live in the arena: if it cannot be made, say so, not "key X: ENOMEM".
	if (int err = arena::init(); err < 0) {
		warn_once("cannot create the arena for hints: %s: %s; running without hints",
		          strerror(-err), arena_cause(err));
		return drop_config();
	}
	phases.mark("arena");
	for (std::size_t i = 0; i < cfg->keys.size(); i++) {
		const auto &k = cfg->keys[i];
		// Shared: a program that creates the same name and size gets this key (and if it
		// created it first, in a constructor that ran before ours, this is its key).
		std::size_t existing = 0;
		tld_key_t key = keys::create_shared(k.name.c_str(), k.type.size, &existing);
		if (key.off == -EEXIST) {
			warn_once("%s:%d: key %s is %s (%u bytes), but the program created it with "
			          "%zu "
			          "bytes; running without hints",
			          cfg->file.c_str(), k.line, k.name.c_str(), k.type.name().c_str(),
			          static_cast<unsigned>(k.type.size), existing);
			return drop_config();
		}
		if (tld_key_is_err(key)) {
			warn_once("%s:%d: key %s: %s; running without hints", cfg->file.c_str(),
			          k.line, k.name.c_str(), strerror(-key.off));
			return drop_config();
		}
		g_offsets[i] = key.off;
	}
	keys::set_shared_hook(on_shared_key);
	// A procfs walk each exec: only for a config whose rules match on the executable.
	bool by_exe = false;
	for (const auto &rule : cfg->rules)
		by_exe = by_exe || !rule.exe.empty();
	// Read on the stack, kept on the heap: a PATH_MAX buffer among the globals would spread
	// them over one more page, which every process and fork child then faults in.
	char exe[PATH_MAX];
	ssize_t n = by_exe ? readlink("/proc/self/exe", exe, sizeof(exe) - 1) : 0;
	if (n > 0) {
		if (char *copy = static_cast<char *>(malloc(static_cast<std::size_t>(n) + 1))) {
			memcpy(copy, exe, static_cast<std::size_t>(n));
			copy[n] = '\0';
			g_exe = copy;
		}
	}
	phases.mark("keys");
	return true;
}

const config::KeysConfig *hints_config()
{
	return g_config;
}

bool hints_follow_names()
{
	return g_config && g_config->uses_thread_names;
}

bool hints_need_start_symbol()
{
	return g_config && g_config->uses_start_symbols;
}

const char *thread_name_for_hints(char buf[16])
{
	// Only rules by thread name and the debug line read it: a prctl() less in every new thread.
	if (!hints_follow_names() && !debug_enabled())
		return nullptr;
	current_thread_name(buf);
	return buf;
}

void hints_apply(ThreadRec &rec, const char *thread_name)
{
	if (!g_config || !rec.block)
		return;
	config::ThreadFacts facts;
	facts.exe = g_exe;
	facts.thread = thread_name;
	facts.start = rec.start_symbol;
	alignas(8) std::uint8_t packed[TLD_PAGE_SIZE];
	if (!config::resolve_values(*g_config, facts, packed))
		return;
	if (debug_enabled()) {
		char matched[256] = "";
		std::size_t used = 0;
		for (const auto &rule : g_config->rules)
			if (config::rule_matches(rule, facts) && used < sizeof(matched))
				used += static_cast<std::size_t>(
				        snprintf(matched + used, sizeof(matched) - used, "%s%s",
				                 used ? ", " : "", rule.name.c_str()));
		debug("thread %d (%s): rules matched: %s%s", rec.tid,
		      thread_name ? thread_name : "", used ? matched : "none",
		      g_config->overrides.empty() ? "" : "; TLD_SET applied");
	}
	auto *data = static_cast<std::uint8_t *>(rec.block.data());
	for (std::size_t i = 0; i < g_config->keys.size(); i++) {
		const auto &k = g_config->keys[i];
		std::memcpy(data + g_offsets[i], packed + k.packed_offset, k.type.size);
	}
}

void current_thread_name(char buf[16])
{
	// The raw syscall: prctl() itself is wrapped by this library.
	if (syscall(SYS_prctl, PR_GET_NAME, buf, 0, 0, 0) != 0)
		buf[0] = '\0';
	buf[15] = '\0';
}

const char *start_symbol(void *fn)
{
	Dl_info info;
	if (!fn || !dladdr(fn, &info) || !info.dli_sname || info.dli_saddr != fn)
		return nullptr;
	return info.dli_sname;
}

} // namespace tld::shim
