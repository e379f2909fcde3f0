// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// libtld.so is tld_core and nothing else; this unit exists because a shared library target
// needs at least one source of its own.
