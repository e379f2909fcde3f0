# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The installed package as a user meets it (cmake -P driver, run by CTest as root):
#  1. `cmake --install` the build with DESTDIR and a prefix that is not the configured one;
#     check the layout, the SONAME, the unit's ExecStart, that nothing points into the build.
#  2. the installed programs and the preload run;
#  3. a BPF consumer compiled against the installed tld.bpf.h (include path from tld.pc);
#  4. a C program built with pkg-config, a C++ project built with find_package(tld): both
#     create a key, store a value through libtld into a real tld_data_map, BPF reads it back;
#  5. the consumer reuses a pinned tld_data_map in a private bpffs, by path and by fd.
# Inputs (-D): BUILD_DIR SRC WORK PREFIX CC CXX BPF_CLANG BPF_ARCH VMLINUX_DIR GENERATOR
#              BINDIR SBINDIR LIBDIR INCLUDEDIR SOURCE_UNIT
cmake_minimum_required(VERSION 3.25)

set(ROOT "${WORK}/root")
set(P "${ROOT}${PREFIX}")

include("${CMAKE_CURRENT_LIST_DIR}/run.cmake")

function(expect_exists)
  foreach(f ${ARGN})
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR "not installed: ${f}")
    endif()
  endforeach()
endfunction()

# --- 1. Install ------------------------------------------------------------------------------
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
run(${CMAKE_COMMAND} -E env DESTDIR=${ROOT} ${CMAKE_COMMAND} --install ${BUILD_DIR}
    --prefix ${PREFIX})

expect_exists(
  "${P}/${BINDIR}/tldctl" "${P}/${SBINDIR}/tldd"
  "${P}/${LIBDIR}/libtld.so" "${P}/${LIBDIR}/libtld.so.0" "${P}/${LIBDIR}/libtldpreload.so"
  "${P}/${INCLUDEDIR}/tld/tld.h" "${P}/${INCLUDEDIR}/tld/tld.hpp"
  "${P}/${INCLUDEDIR}/tld/abi.h" "${P}/${INCLUDEDIR}/tld/tld.bpf.h"
  "${P}/${INCLUDEDIR}/tld/data_map.bpf.h"
  "${P}/${LIBDIR}/pkgconfig/tld.pc"
  "${P}/${LIBDIR}/cmake/tld/tldConfig.cmake" "${P}/${LIBDIR}/cmake/tld/tldConfigVersion.cmake"
  "${P}/${LIBDIR}/cmake/tld/tldTargets.cmake"
  "${P}/share/man/man8/tldd.8.gz" "${P}/share/man/man8/tldctl.8.gz"
  "${P}/share/man/man8/libtldpreload.8.gz" "${P}/share/man/man5/keys.conf.5.gz")
run(test -x "${P}/${BINDIR}/tldctl" -a -x "${P}/${SBINDIR}/tldd")
# Man pages are gzipped (-9n: no name or time stamp), as Debian policy wants.
run(gzip -lv "${P}/share/man/man8/tldd.8.gz")
run(gzip -dc "${P}/share/man/man8/tldd.8.gz")
if(NOT RUN_OUT MATCHES "^\\.TH \"TLDD\" \"8\"")
  message(FATAL_ERROR "tldd.8.gz is not the roff page: '${RUN_OUT}'")
endif()

# Everything went under the prefix, in DESTDIR: the manifest lists every installed file
# (without DESTDIR).
file(STRINGS "${BUILD_DIR}/install_manifest.txt" manifest)
foreach(f IN LISTS manifest)
  if(NOT f MATCHES "^${PREFIX}/" OR NOT EXISTS "${ROOT}${f}")
    message(FATAL_ERROR "installed outside ${PREFIX} or not in DESTDIR: ${f}")
  endif()
endforeach()
# The sample configs and the unit, whose directories depend on the prefix.
foreach(name keys_conf tldd_conf unit)
  set(${name} "")
endforeach()
foreach(f IN LISTS manifest)
  if(f MATCHES "/doc/")
    continue()
  elseif(f MATCHES "/tld/keys\\.conf$")
    list(APPEND keys_conf "${ROOT}${f}")
  elseif(f MATCHES "/tld/tldd\\.conf$")
    list(APPEND tldd_conf "${ROOT}${f}")
  elseif(f MATCHES "/tldd\\.service$")
    list(APPEND unit "${ROOT}${f}")
  endif()
endforeach()
foreach(name keys_conf tldd_conf unit)
  list(LENGTH ${name} n)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "expected one ${name} outside the doc directory, installed: '${${name}}'")
  endif()
endforeach()

# libtld.so.0 is the SONAME; libtld.so is the development link to it.
run(readelf -d "${P}/${LIBDIR}/libtld.so")
if(NOT RUN_OUT MATCHES "Library soname: \\[libtld\\.so\\.0\\]")
  message(FATAL_ERROR "libtld.so has no SONAME libtld.so.0")
endif()
file(READ_SYMLINK "${P}/${LIBDIR}/libtld.so" link)
if(NOT link STREQUAL "libtld.so.0")
  message(FATAL_ERROR "libtld.so -> ${link}, expected libtld.so.0")
endif()
# Installed binaries must not look for libraries in the build tree.
foreach(elf "${P}/${BINDIR}/tldctl" "${P}/${SBINDIR}/tldd" "${P}/${LIBDIR}/libtld.so"
            "${P}/${LIBDIR}/libtldpreload.so")
  run(readelf -d "${elf}")
  if(RUN_OUT MATCHES "${BUILD_DIR}")
    message(FATAL_ERROR "${elf} has an RPATH into the build tree")
  endif()
endforeach()

# The unit starts the tldd that was installed, wherever the prefix is, with the installed
# tldd.conf (the build was configured for another prefix, whose configs tldd would read).
file(STRINGS "${unit}" exec REGEX "^ExecStart=")
set(want "ExecStart=${PREFIX}/${SBINDIR}/tldd --config ${PREFIX}/etc/tld/tldd.conf")
if(NOT exec STREQUAL want)
  message(FATAL_ERROR "${unit}: '${exec}', expected ${want}")
endif()
# Nothing else in the unit changed.
file(STRINGS "${SOURCE_UNIT}" want)
file(STRINGS "${unit}" got)
list(FILTER want EXCLUDE REGEX "^(ExecStart|Documentation)=")
list(FILTER got EXCLUDE REGEX "^(ExecStart|Documentation)=")
if(NOT want STREQUAL got)
  message(FATAL_ERROR "${unit} differs from ${SOURCE_UNIT} beyond ExecStart and Documentation")
endif()
file(STRINGS "${P}/${LIBDIR}/pkgconfig/tld.pc" pc_prefix REGEX "^prefix=")
if(NOT pc_prefix STREQUAL "prefix=${PREFIX}")
  message(FATAL_ERROR "tld.pc: '${pc_prefix}', expected prefix=${PREFIX}")
endif()

# A reinstall keeps an edited config.
file(APPEND "${keys_conf}" "# edited by the admin\n")
run(${CMAKE_COMMAND} -E env DESTDIR=${ROOT} ${CMAKE_COMMAND} --install ${BUILD_DIR}
    --prefix ${PREFIX} --component Runtime)
file(READ "${keys_conf}" text)
if(NOT text MATCHES "edited by the admin")
  message(FATAL_ERROR "a reinstall overwrote ${keys_conf}")
endif()

# --- 2. The installed programs run -----------------------------------------------------------
run("${P}/${SBINDIR}/tldd" --help)
run("${P}/${BINDIR}/tldctl" --help)
# The preload with the shipped keys.conf, pointed away from the host's pins and socket: the
# program runs normally (the preload fails open) and the sample config parses.
file(READ "${keys_conf}" text)
string(REGEX REPLACE "\nsocket = [^\n]*" "\nsocket = ${WORK}/no-tldd.sock" text "${text}")
string(REGEX REPLACE "\npin_root = [^\n]*" "\npin_root = ${WORK}/no-pins" text "${text}")
file(WRITE "${WORK}/keys.conf" "${text}")
run(${CMAKE_COMMAND} -E env LD_PRELOAD=${P}/${LIBDIR}/libtldpreload.so
    TLD_CONFIG=${WORK}/keys.conf /bin/sh -c "echo preloaded")
if(NOT RUN_OUT STREQUAL "preloaded\n" OR RUN_ERR MATCHES "keys\\.conf:")
  message(FATAL_ERROR "the preload with the sample keys.conf: '${RUN_OUT}' '${RUN_ERR}'")
endif()

# --- 3. A BPF consumer against the installed tld.bpf.h ---------------------------------------
# tld.pc is used as a user would with a DESTDIR tree: the sysroot prefixes its paths.
set(PC_ENV PKG_CONFIG_PATH=${P}/${LIBDIR}/pkgconfig PKG_CONFIG_SYSROOT_DIR=${ROOT})
run(${CMAKE_COMMAND} -E env ${PC_ENV} pkg-config --cflags tld)
string(STRIP "${RUN_OUT}" tld_cflags)
if(NOT tld_cflags STREQUAL "-I${P}/${INCLUDEDIR}")
  message(FATAL_ERROR "pkg-config --cflags tld: '${tld_cflags}'")
endif()
run(${CMAKE_COMMAND} -E env ${PC_ENV} pkg-config --libs tld)
string(STRIP "${RUN_OUT}" tld_libs)
separate_arguments(tld_libs UNIX_COMMAND "${tld_libs}")
run(pkg-config --cflags --libs libbpf)
string(STRIP "${RUN_OUT}" bpf_flags)
separate_arguments(bpf_flags UNIX_COMMAND "${bpf_flags}")

set(OBJ "${WORK}/consumer.bpf.o")
run(${BPF_CLANG} -target bpf -g -O2 -Wall -Werror -D__TARGET_ARCH_${BPF_ARCH}
    -I${VMLINUX_DIR} ${tld_cflags} -I${SRC} -c ${SRC}/consumer.bpf.c -o ${OBJ})

# --- 4a. C with pkg-config -------------------------------------------------------------------
set(CFLAGS -Wall -Wextra -Werror ${tld_cflags} -I${SRC})
set(LDFLAGS ${tld_libs} ${bpf_flags} -Wl,-rpath,${P}/${LIBDIR})
run(${CC} ${CFLAGS} ${SRC}/pkgconfig_app.c ${LDFLAGS} -o ${WORK}/pkgconfig_app)
run(ldd ${WORK}/pkgconfig_app)
if(NOT RUN_OUT MATCHES "libtld\\.so\\.0 => ${P}/${LIBDIR}/libtld\\.so\\.0")
  message(FATAL_ERROR "pkgconfig_app does not use the installed libtld")
endif()
run(${WORK}/pkgconfig_app ${OBJ} 4242)
message("${RUN_OUT}")
if(NOT RUN_OUT MATCHES "= 4242, BPF read 4242 \\(found 1")
  message(FATAL_ERROR "pkg-config consumer: BPF did not read the value")
endif()

# --- 4b. C++ with find_package(tld) ----------------------------------------------------------
run(${CMAKE_COMMAND} -S ${SRC}/cmake_project -B ${WORK}/cmake_project -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${P} -DCONSUMER_DIR=${SRC}
    "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror")
run(${CMAKE_COMMAND} --build ${WORK}/cmake_project)
run(ldd ${WORK}/cmake_project/cmake_app)
if(NOT RUN_OUT MATCHES "libtld\\.so\\.0 => ${P}/${LIBDIR}/libtld\\.so\\.0")
  message(FATAL_ERROR "cmake_app does not use the installed libtld")
endif()
run(${WORK}/cmake_project/cmake_app ${OBJ} 777)
message("${RUN_OUT}")
if(NOT RUN_OUT MATCHES "= 777, BPF read 777 \\(found 1")
  message(FATAL_ERROR "find_package consumer: BPF did not read the value")
endif()

# --- 5. Reusing a pinned tld_data_map --------------------------------------------------------
run(${CC} ${CFLAGS} ${SRC}/reuse_pin.c ${LDFLAGS} -o ${WORK}/reuse_pin)
run(${WORK}/reuse_pin ${OBJ} 31337)
message("${RUN_OUT}")
if(NOT RUN_OUT MATCHES "reuse_pin: ok")
  message(FATAL_ERROR "reusing the pinned map failed")
endif()

file(REMOVE_RECURSE "${WORK}")
message("install test: all passed")
