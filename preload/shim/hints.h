// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What the config says each thread carries: the keys it declares (created in libtld at start)
// and the values that defaults, rules and TLD_SET give one thread.
#pragma once

#include "registry.h"

namespace tld::config {
struct KeysConfig;
}

namespace tld::shim {

class StartPhases;

// Loads the keys config ($TLD_CONFIG or /etc/tld/keys.conf) and TLD_SET (phase "config"), then,
// maybe later (start = on_first_thread), makes the arena and creates the keys in it (phases
// "arena" and "keys"). On failure either warns once (file, line, what) and returns false: the
// program runs without hints.
bool hints_parse(StartPhases &phases);
bool hints_create_keys(StartPhases &phases);

const config::KeysConfig *hints_config();

// Whether rules depend on the thread name / the start routine (so renames must re-apply, and
// the start symbol must be looked up).
bool hints_follow_names();
bool hints_need_start_symbol();

// Writes every key's value for `rec`'s thread into its block: plain stores, what BPF reads.
void hints_apply(ThreadRec &rec, const char *thread_name);

// Reads the calling thread's name (comm) into buf[16].
void current_thread_name(char buf[16]);

// The calling thread's name for hints_apply(), read into buf[16] only if a rule or the debug
// log uses it; nullptr (unknown) otherwise.
const char *thread_name_for_hints(char buf[16]);

// The symbol name of a thread start routine, or nullptr if it has none that dladdr can see.
const char *start_symbol(void *fn);

} // namespace tld::shim
