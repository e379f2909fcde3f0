# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# A new user's build and install (cmake -P driver, run by CTest as root), with nothing the
# project's scripts add:
#  1. `cmake -S . -B b && cmake --build b`: the default generator (Unix Makefiles) and compiler
#     (g++), configured for /usr as a distribution would (no tests, no benchmarks);
#  2. `cmake --install b --prefix P` (another prefix than configured): everything lands under P,
#     the unit starts P's tldd with P's tldd.conf, which names P's keys.conf;
#  3. a reinstall over an edited config keeps it; `--target uninstall` removes every file both
#     installs wrote and the directories left empty, and keeps the edited config;
#  4. `cpack -G DEB` (deb_test.cmake).
# Inputs (-D): SRC (source tree) WORK (scratch directory)
cmake_minimum_required(VERSION 3.25)

include("${CMAKE_CURRENT_LIST_DIR}/run.cmake")

set(B "${WORK}/b")
set(P "${WORK}/p")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

# --- 1. The everyday build -------------------------------------------------------------------
# CTest's environment may name compilers (CC, CXX) or a generator; a new user's has none.
run(${CMAKE_COMMAND} -E env --unset=CC --unset=CXX --unset=CMAKE_GENERATOR
    ${CMAKE_COMMAND} -S ${SRC} -B ${B} -DCMAKE_INSTALL_PREFIX=/usr
    -DTLD_BUILD_TESTS=OFF -DTLD_BUILD_BENCH=OFF)
file(STRINGS "${B}/CMakeCache.txt" gen REGEX "^CMAKE_GENERATOR:")
file(STRINGS "${B}/CMakeCache.txt" cxx REGEX "^CMAKE_CXX_COMPILER:")
if(NOT gen MATCHES "=Unix Makefiles$" OR NOT cxx MATCHES "/(c\\+\\+|g\\+\\+)$")
  message(FATAL_ERROR "not the defaults a new user gets: ${gen} ${cxx}")
endif()
run(${CMAKE_COMMAND} --build ${B} -j2)

# --- 2. Install into another prefix ----------------------------------------------------------
# What a /usr install would touch on the host, to check that a prefix install leaves it alone.
set(host /etc/tld /lib/systemd/system/tldd.service /usr/lib/systemd/system/tldd.service
         /usr/sbin/tldd /usr/bin/tldctl)
set(before "")
foreach(h IN LISTS host)
  if(EXISTS "${h}")
    file(TIMESTAMP "${h}" t "%s")
    list(APPEND before "${h}@${t}")
  endif()
endforeach()
run(${CMAKE_COMMAND} --install ${B} --prefix ${P})
set(after "")
foreach(h IN LISTS host)
  if(EXISTS "${h}")
    file(TIMESTAMP "${h}" t "%s")
    list(APPEND after "${h}@${t}")
  endif()
endforeach()
if(NOT before STREQUAL after)
  message(FATAL_ERROR "a prefix install touched the host: before '${before}', after '${after}'")
endif()
file(STRINGS "${B}/install_manifest.txt" manifest)
list(LENGTH manifest n)
if(n LESS 20)
  message(FATAL_ERROR "install_manifest.txt lists only ${n} files")
endif()
foreach(f IN LISTS manifest)
  if(NOT f MATCHES "^${P}/" OR NOT EXISTS "${f}")
    message(FATAL_ERROR "installed outside ${P} (configured for /usr): ${f}")
  endif()
endforeach()

# The unit runs P's tldd on P's configs; tldd.conf names P's keys.conf.
set(unit "${P}/lib/systemd/system/tldd.service")
file(STRINGS "${unit}" exec REGEX "^ExecStart=")
if(NOT exec STREQUAL "ExecStart=${P}/sbin/tldd --config ${P}/etc/tld/tldd.conf")
  message(FATAL_ERROR "${unit}: '${exec}'")
endif()
file(STRINGS "${P}/etc/tld/tldd.conf" kc REGEX "^keys-config")
if(NOT kc STREQUAL "keys-config = ${P}/etc/tld/keys.conf")
  message(FATAL_ERROR "tldd.conf: '${kc}'")
endif()
# tldd reads what the unit gives it, and the compiled-in default is the configured /etc/tld.
run(${P}/sbin/tldd --config ${P}/etc/tld/tldd.conf --help)
run(${P}/bin/tldctl --help)
if(NOT RUN_OUT MATCHES "or[ \n]+/etc/tld/keys\\.conf")
  message(FATAL_ERROR "tldctl built for /usr does not read /etc/tld/keys.conf:\n${RUN_OUT}")
endif()

# --- 3. Reinstall, uninstall -----------------------------------------------------------------
file(APPEND "${P}/etc/tld/keys.conf" "# edited by the admin\n")
run(${CMAKE_COMMAND} --install ${B} --prefix ${P} --component Runtime)
file(READ "${P}/etc/tld/keys.conf" text)
if(NOT text MATCHES "edited by the admin")
  message(FATAL_ERROR "a reinstall overwrote the edited keys.conf")
endif()
# The second install (Runtime only) must not make uninstall forget the first one's files.
run(${CMAKE_COMMAND} --build ${B} --target uninstall)
file(GLOB_RECURSE left LIST_DIRECTORIES true "${P}/*")
if(NOT left STREQUAL "${P}/etc;${P}/etc/tld;${P}/etc/tld/keys.conf")
  message(FATAL_ERROR "uninstall left: ${left}")
endif()
if(NOT RUN_OUT MATCHES "Keeping: ${P}/etc/tld/keys\\.conf")
  message(FATAL_ERROR "uninstall did not say it kept the edited keys.conf:\n${RUN_OUT}")
endif()

# --- 4. The Debian package from the same build ----------------------------------------------
include("${CMAKE_CURRENT_LIST_DIR}/deb_test.cmake")

file(REMOVE_RECURSE "${WORK}")
message("everyday test: all passed")
