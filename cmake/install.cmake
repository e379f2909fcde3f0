# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# `cmake --install`: lays tld out like a system package (docs/getting-started.md).
#
#   bin/tldctl                   sbin/tldd
#   lib/libtld.so.0.1.0 (+ libtld.so.0, libtld.so)   lib/libtldpreload.so
#   include/tld/{tld.h,tld.hpp,abi.h,tld.bpf.h}
#   lib/pkgconfig/tld.pc         lib/cmake/tld/ (find_package(tld): tld::tld, tld::abi)
#   etc/tld/{keys.conf,tldd.conf} (sysconfdir; kept if they exist)
#   tldd.service in the systemd unit directory, share/doc/tld/ (docs and pristine samples)
#
# DESTDIR and any prefix work, also one given only at install time (`cmake --install build
# --prefix /opt/tld`): everything that names an absolute path (the unit's ExecStart, tld.pc) is
# computed when the files are installed, not when the build is configured.
#
# Components: Runtime (what a host running tld needs) and Development (headers, tld.pc, the
# CMake package, the libtld.so link).
include(CMakePackageConfigHelpers)

set(TLD_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/tld" CACHE STRING
    "Where find_package(tld) looks (relative to the prefix)")

# The systemd unit directory. For the /usr prefix (a distribution package) it is what systemd
# itself says (pkg-config systemd, /lib/systemd/system on Debian 12). For any other prefix it is
# <prefix>/lib/systemd/system, so installing to a prefix never writes outside it; systemd reads
# /usr/local/lib/systemd/system too, and a unit under /opt is enabled with `systemctl link`.
set(_tld_unitdir_default "lib/systemd/system")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(_tld_systemd_unitdir systemd systemdsystemunitdir)
  if(_tld_systemd_unitdir)
    set(_tld_unitdir_default "${_tld_systemd_unitdir}")
  endif()
endif()
set(TLD_SYSTEMD_UNITDIR "${_tld_unitdir_default}" CACHE STRING
    "systemd system unit directory (relative: under the install prefix)")

# The programs read /etc/tld (config/keys_config.h, config/daemon_config.h). GNUInstallDirs
# maps sysconfdir to /etc only for the /usr prefix; say so when the samples go elsewhere.
if(NOT CMAKE_INSTALL_FULL_SYSCONFDIR STREQUAL "/etc")
  message(STATUS "tld: sample configs install to ${CMAKE_INSTALL_FULL_SYSCONFDIR}/tld; "
                 "the programs read /etc/tld (use -DCMAKE_INSTALL_PREFIX=/usr for a system install)")
endif()
# A relative directory follows an install-time --prefix; GNUInstallDirs' special cases (/usr
# -> /etc, /opt/X -> /etc/opt/X) are absolute and stay so.
if(CMAKE_INSTALL_FULL_SYSCONFDIR STREQUAL "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}")
  set(_tld_sysconfdir "${CMAKE_INSTALL_SYSCONFDIR}")
else()
  set(_tld_sysconfdir "${CMAKE_INSTALL_FULL_SYSCONFDIR}")
endif()

# --- Programs --------------------------------------------------------------------------------
# tldd goes to sbin: it is a system daemon, started by root or systemd, not a command users run.
if(TARGET tldd)
  install(TARGETS tldd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT Runtime)
endif()
if(TARGET tldctl)
  install(TARGETS tldctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
endif()

# --- Libraries and the exported targets ------------------------------------------------------
# tld::abi is the header-only layout (abi.h, tld.bpf.h); tld::tld the C/C++ library, which
# carries tld::abi and the include directory.
set_target_properties(tld_abi PROPERTIES EXPORT_NAME abi)
install(TARGETS tld_abi EXPORT tldTargets)
install(TARGETS tld EXPORT tldTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Runtime NAMELINK_COMPONENT Development)
# Loaded by path (LD_PRELOAD), never linked: no SONAME version, not exported.
install(TARGETS tldpreload LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Runtime)

install(FILES
  ${PROJECT_SOURCE_DIR}/preload/include/tld/tld.h
  ${PROJECT_SOURCE_DIR}/preload/include/tld/tld.hpp
  ${PROJECT_SOURCE_DIR}/bpf/include/tld/abi.h
  ${PROJECT_SOURCE_DIR}/bpf/include/tld/tld.bpf.h
  ${PROJECT_SOURCE_DIR}/bpf/include/tld/data_map.bpf.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tld COMPONENT Development)

# --- find_package(tld) -----------------------------------------------------------------------
install(EXPORT tldTargets NAMESPACE tld:: DESTINATION ${TLD_CMAKE_DIR} COMPONENT Development)
set(TLD_PRELOAD_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
set(_tld_gen "${CMAKE_CURRENT_BINARY_DIR}/tld-install")
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/tldConfig.cmake.in
  ${_tld_gen}/tldConfig.cmake
  INSTALL_DESTINATION ${TLD_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR TLD_PRELOAD_LIBDIR)
# libtld.so.0 is the ABI: any 0.x.y satisfies a request for 0.x.y or older.
write_basic_package_version_file(${_tld_gen}/tldConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${_tld_gen}/tldConfig.cmake ${_tld_gen}/tldConfigVersion.cmake
  DESTINATION ${TLD_CMAKE_DIR} COMPONENT Development)

# --- Files with absolute paths, written at install time (cmake/install-time.cmake) -----------
# The unit names the installed tldd and docs. config/tldd.service is the source (it names
# /usr/sbin/tldd); a config/tldd.service.in, if its owner adds one, takes precedence. Either way
# ExecStart's path to tldd becomes @TLDD_PATH@ and the doc directory @TLD_DOCDIR@, filled in at
# install time.
if(EXISTS "${PROJECT_SOURCE_DIR}/config/tldd.service.in")
  set(_tld_unit_source "${PROJECT_SOURCE_DIR}/config/tldd.service.in")
else()
  set(_tld_unit_source "${PROJECT_SOURCE_DIR}/config/tldd.service")
endif()
file(READ "${_tld_unit_source}" _tld_unit)
string(REGEX REPLACE "ExecStart=[^ \n]*/tldd" "ExecStart=@TLDD_PATH@" _tld_unit "${_tld_unit}")
string(REPLACE "/usr/share/doc/tld" "@TLD_DOCDIR@" _tld_unit "${_tld_unit}")
string(REPLACE "@CMAKE_INSTALL_FULL_DOCDIR@" "@TLD_DOCDIR@" _tld_unit "${_tld_unit}")
if(NOT _tld_unit MATCHES "ExecStart=@TLDD_PATH@")
  message(WARNING "${_tld_unit_source} has no ExecStart=.../tldd: installing it unchanged")
endif()
set(TLD_UNIT_TEMPLATE "${_tld_gen}/tldd.service.in")
file(WRITE "${TLD_UNIT_TEMPLATE}.tmp" "${_tld_unit}")
# Rewritten only when it changes, so a re-configure does not dirty the tree.
configure_file("${TLD_UNIT_TEMPLATE}.tmp" "${TLD_UNIT_TEMPLATE}" COPYONLY)
set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             "${_tld_unit_source}")

install(CODE "
  set(TLD_BINARY_DIR \"${_tld_gen}\")
  set(TLD_UNIT_TEMPLATE \"${TLD_UNIT_TEMPLATE}\")
  set(TLD_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")
  set(TLD_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
  set(TLD_SYSTEMD_UNITDIR \"${TLD_SYSTEMD_UNITDIR}\")
  include(\"${CMAKE_CURRENT_LIST_DIR}/install-time.cmake\")
  tld_install_unit()" COMPONENT Runtime)
install(CODE "
  set(TLD_BINARY_DIR \"${_tld_gen}\")
  set(TLD_PC_TEMPLATE \"${CMAKE_CURRENT_LIST_DIR}/tld.pc.in\")
  set(TLD_VERSION \"${PROJECT_VERSION}\")
  set(TLD_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(TLD_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  include(\"${CMAKE_CURRENT_LIST_DIR}/install-time.cmake\")
  tld_install_pc()" COMPONENT Development)

# --- Configuration samples and documentation -------------------------------------------------
set(_tld_samples ${PROJECT_SOURCE_DIR}/config/keys.conf ${PROJECT_SOURCE_DIR}/config/tldd.conf)
install(CODE "
  set(TLD_SYSCONFDIR \"${_tld_sysconfdir}\")
  set(TLD_SAMPLES \"${_tld_samples}\")
  include(\"${CMAKE_CURRENT_LIST_DIR}/install-time.cmake\")
  tld_install_configs()" COMPONENT Runtime)
install(FILES ${_tld_samples} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT Runtime)

# The user documentation; docs/HELPERS.md is the team's scratch board, not documentation.
file(GLOB _tld_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
list(FILTER _tld_docs EXCLUDE REGEX "/HELPERS\\.md$")
install(FILES ${_tld_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT Runtime)
