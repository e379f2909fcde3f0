// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The few C++ runtime symbols the preload uses, so it does not need libstdc++.so: loading and
// relocating libstdc++, libm and libgcc_s into every process doubled the cost of a short exec
// (docs/performance.md). The preload is built -fno-exceptions, so what would throw aborts, as
// libstdc++ itself does without exceptions.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace std {

const nothrow_t nothrow{};

[[noreturn]] void __throw_bad_alloc()
{
	abort();
}

[[noreturn]] void __throw_logic_error(const char *)
{
	abort();
}

[[noreturn]] void __throw_length_error(const char *)
{
	abort();
}

[[noreturn]] void __throw_out_of_range_fmt(const char *, ...)
{
	abort();
}

} // namespace std

// Kept local by cxxrt.map: the program's own (or libstdc++'s) operator new stays everyone else's.
void *operator new(std::size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
	return malloc(size ? size : 1);
}

void operator delete(void *p) noexcept
{
	free(p);
}

void operator delete(void *p, std::size_t) noexcept
{
	free(p);
}
