# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The Debian package (included by everyday_test.cmake, after its build configured for /usr):
# `cpack -G DEB` builds one .deb; its contents (dpkg-deb -c) hold the programs, libraries,
# headers, pkg-config and CMake files, the unit and the man pages; its control (dpkg-deb -I)
# lists the sample configs as conffiles and the libraries it depends on; unpacked, tldd and
# tldctl run. Needs B (the build) and WORK from the includer, and its run().
set(D "${WORK}/deb")
file(MAKE_DIRECTORY "${D}")
run(${CMAKE_COMMAND} -E chdir ${B} cpack -G DEB -B ${D})
file(GLOB debs "${D}/*.deb")
list(LENGTH debs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "cpack -G DEB made ${n} packages: '${debs}'")
endif()

run(dpkg-deb -c ${debs})
set(contents "${RUN_OUT}")
file(STRINGS "${B}/CMakeCache.txt" libdir REGEX "^CMAKE_INSTALL_LIBDIR:")
string(REGEX REPLACE ".*=" "" libdir "${libdir}")
foreach(want ./usr/sbin/tldd ./usr/bin/tldctl
             ./usr/${libdir}/libtld.so.0.1.0 ./usr/${libdir}/libtld.so.0
             ./usr/${libdir}/libtld.so ./usr/${libdir}/libtldpreload.so
             ./usr/include/tld/tld.h ./usr/include/tld/tld.hpp ./usr/include/tld/abi.h
             ./usr/include/tld/tld.bpf.h ./usr/${libdir}/pkgconfig/tld.pc
             ./usr/${libdir}/cmake/tld/tldConfig.cmake ./usr/${libdir}/cmake/tld/tldTargets.cmake
             ./etc/tld/keys.conf ./etc/tld/tldd.conf
             ./usr/share/man/man8/tldd.8.gz ./usr/share/man/man8/tldctl.8.gz
             ./usr/share/man/man8/libtldpreload.8.gz ./usr/share/man/man5/keys.conf.5.gz
             ./usr/share/doc/tld/getting-started.md ./usr/share/doc/tld/copyright)
  string(REPLACE "." "\\." re "${want}")
  string(REPLACE "+" "\\+" re "${re}")
  if(NOT contents MATCHES " ${re}( |\n)")
    message(FATAL_ERROR "the .deb has no ${want}:\n${contents}")
  endif()
endforeach()
if(NOT contents MATCHES " \\./(usr/)?lib/systemd/system/tldd\\.service\n")
  message(FATAL_ERROR "the .deb has no tldd.service:\n${contents}")
endif()
if(contents MATCHES "_CPack_Packages|${B}")
  message(FATAL_ERROR "the .deb names the build tree:\n${contents}")
endif()

run(dpkg-deb -I ${debs} conffiles)
if(NOT RUN_OUT STREQUAL "/etc/tld/keys.conf\n/etc/tld/tldd.conf\n")
  message(FATAL_ERROR "conffiles: '${RUN_OUT}'")
endif()
run(dpkg-deb -I ${debs})
if(NOT RUN_OUT MATCHES "Package: tld\n" OR NOT RUN_OUT MATCHES "Depends:[^\n]*libbpf1")
  message(FATAL_ERROR "control:\n${RUN_OUT}")
endif()
# A library package: shlibs for libtld.so.0, and ldconfig after install and removal.
run(dpkg-deb -I ${debs} shlibs)
if(NOT RUN_OUT MATCHES "^libtld 0 tld")
  message(FATAL_ERROR "shlibs: '${RUN_OUT}'")
endif()
foreach(script postinst postrm)
  run(dpkg-deb -I ${debs} ${script})
  if(NOT RUN_OUT MATCHES "\n[ \t]*ldconfig\n")
    message(FATAL_ERROR "${script}: '${RUN_OUT}'")
  endif()
endforeach()

# Unpacked, the programs run: tldd and tldctl find their libraries (libtld is not linked by
# either; libbpf and Boost are the system's), and status reports (tldd down here: exit 1).
set(R "${D}/root")
run(dpkg-deb -x ${debs} ${R})
run(${R}/usr/sbin/tldd --version)
if(NOT RUN_OUT MATCHES "^tldd [0-9]")
  message(FATAL_ERROR "tldd --version: '${RUN_OUT}'")
endif()
run(${R}/usr/bin/tldctl --version)
run(${R}/usr/sbin/tldd --check-config --config ${R}/etc/tld/tldd.conf --keys-config
    ${R}/etc/tld/keys.conf)
execute_process(COMMAND ${R}/usr/bin/tldctl --config ${R}/etc/tld/keys.conf
                        --pin-root ${WORK}/no-pins --socket ${WORK}/no.sock status
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT out MATCHES "^tldd: +down: " OR NOT out MATCHES "\nkernel:\n")
  message(FATAL_ERROR "unpacked tldctl status: ${rc}\n${out}${err}")
endif()
message("deb: ${debs}")
