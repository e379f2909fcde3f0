// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Included first by every tld_config_core source: that code runs inside libtldpreload.so, in
// programs that may not expect a C++ exception from it, so it must be built with -fno-exceptions
// (CMake does; this catches a build that does not).
#pragma once

#ifdef __cpp_exceptions
#error "tld_config_core must be built with -fno-exceptions: libtldpreload.so links it"
#endif
