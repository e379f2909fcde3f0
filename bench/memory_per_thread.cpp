// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Memory per registered thread, for 1, 4 and 16 u64 keys (and 8, the target's case): user bytes
// (the arena's pages over the threads) and pinned bytes (distinct pages the kernel pins for them:
// data pages plus the shared meta page). Each case runs in a fresh child process, because keys
// are per process. Prints one JSON object per case.
#include <cstdio>
#include <pthread.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <bpf/libbpf.h>
#include <tld/abi.h> // before the skeleton, which names struct tld_btf_anchor
#include <tld/tld.h>

#include "libtld/arena.h"
#include "libtld/keys.h"
#include "tld_maps.skel.h"

namespace {

constexpr int kThreads = 1024;

struct Shared {
	int map_fd;
	tld_key_t key;
	pthread_barrier_t *registered;
	pthread_barrier_t *done;
};

void *thread_body(void *p)
{
	auto *s = static_cast<Shared *>(p);
	if (!tld_get_data(s->map_fd, s->key))
		perror("tld_get_data");
	pthread_barrier_wait(s->registered);
	pthread_barrier_wait(s->done);
	return nullptr;
}

int measure(int keys)
{
	tld_maps *skel = tld_maps__open_and_load();
	if (!skel) {
		perror("loading tld_maps");
		return 1;
	}
	Shared s{bpf_map__fd(skel->maps.tld_data_map), {}, nullptr, nullptr};
	for (int i = 0; i < keys; i++) {
		tld_key_t k = tld_create_key(("k" + std::to_string(i)).c_str(), 8);
		if (i == 0)
			s.key = k;
	}
	pthread_barrier_t registered, done;
	pthread_barrier_init(&registered, nullptr, kThreads + 1);
	pthread_barrier_init(&done, nullptr, kThreads + 1);
	s.registered = &registered;
	s.done = &done;
	std::vector<pthread_t> threads(kThreads);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (auto &t : threads)
		pthread_create(&t, &attr, thread_body, &s);
	pthread_barrier_wait(&registered);

	std::size_t block = tld::keys::block_size();
	// One page a block (abi.h); the arena maps ahead in chunks, whose untouched pages cost
	// address space but no memory: count only the pages blocks occupy.
	std::size_t used_pages = tld::arena::carved_blocks();
	std::printf("{\"keys\": %d, \"threads\": %d, \"block_bytes\": %zu, "
	            "\"user_bytes_per_thread\": %.1f, \"pinned_bytes_per_thread\": %.1f, "
	            "\"arena_pages\": %zu, \"arena_mapped_bytes\": %zu}\n",
	            keys, kThreads, block, double(used_pages * TLD_PAGE_SIZE) / kThreads,
	            double((used_pages + 1) * TLD_PAGE_SIZE) / kThreads, tld::arena::pages(),
	            tld::arena::mapped_bytes());
	pthread_barrier_wait(&done);
	for (auto &t : threads)
		pthread_join(t, nullptr);
	tld_maps__destroy(skel);
	return 0;
}

} // namespace

int main()
{
	for (int keys : {1, 4, 8, 16}) {
		std::fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			int rc = measure(keys);
			std::fflush(stdout);
			_exit(rc);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 1;
	}
	return 0;
}
