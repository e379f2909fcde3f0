# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# `cmake --install`: lays tld out like a system package (docs/getting-started.md).
#
#   bin/tldctl                   sbin/tldd
#   lib/libtld.so.0.1.0 (+ libtld.so.0, libtld.so)   lib/libtldpreload.so
#   include/tld/{tld.h,tld.hpp,abi.h,tld.bpf.h}
#   lib/pkgconfig/tld.pc         lib/cmake/tld/ (find_package(tld): tld::tld, tld::abi)
#   etc/tld/{keys.conf,tldd.conf} (/etc/tld for the /usr prefix; kept if they exist)
#   tldd.service in the systemd unit directory, share/doc/tld/ (docs and pristine samples)
#
# DESTDIR and any prefix work, also one given only at install time (`cmake --install build
# --prefix /opt/tld`): every directory that depends on the prefix (cmake/paths.cmake) and every
# file that names an absolute path (the unit's ExecStart, tld.pc, tldd.conf's keys-config) is
# computed when the files are installed, not when the build is configured. `--target uninstall`
# removes what all installs wrote (cmake/uninstall.cmake).
#
# Components: Runtime (what a host running tld needs) and Development (headers, tld.pc, the
# CMake package, the libtld.so link).
include(CMakePackageConfigHelpers)

set(TLD_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/tld" CACHE STRING
    "Where find_package(tld) looks (relative to the prefix)")

# The systemd unit directory and the config directory are decided at install time from the
# prefix really installed to (cmake/paths.cmake), never cached as absolute paths: configuring
# for /usr and installing with --prefix /tmp/p writes nothing outside /tmp/p.
# TLD_UNIT_DIR empty: systemd's own directory for the /usr prefix, else
# <prefix>/lib/systemd/system.
pkg_get_variable(_tld_systemd_unitdir systemd systemdsystemunitdir)
set(TLD_UNIT_DIR "" CACHE STRING
    "systemd system unit directory (empty: by prefix, see cmake/paths.cmake; relative: under it)")
if(NOT TLD_CONFIG_DIR STREQUAL "/etc/tld")
  message(STATUS "tld: the programs read their configs from ${TLD_CONFIG_DIR} "
                 "(-DCMAKE_INSTALL_PREFIX=/usr for /etc/tld)")
endif()
# Where the install notes what it wrote (install-time.cmake, uninstall.cmake): kept across
# installs, unlike install_manifest.txt, which each `cmake --install` rewrites.
set(TLD_INSTALLED_LIST "${CMAKE_BINARY_DIR}/tld-installed.txt")

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
install(CODE "
  include(\"${CMAKE_CURRENT_LIST_DIR}/install-time.cmake\")
  tld_refresh_ld_cache()" COMPONENT Runtime)

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
  set(TLD_UNIT_DIR \"${TLD_UNIT_DIR}\")
  set(TLD_USR_UNITDIR \"${_tld_systemd_unitdir}\")
  set(TLD_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
  set(TLD_COMPILED_CONFIG_DIR \"${TLD_CONFIG_DIR}\")
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
  set(TLD_BINARY_DIR \"${_tld_gen}\")
  set(TLD_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
  set(TLD_COMPILED_CONFIG_DIR \"${TLD_CONFIG_DIR}\")
  set(TLD_SAMPLES \"${_tld_samples}\")
  include(\"${CMAKE_CURRENT_LIST_DIR}/install-time.cmake\")
  tld_install_configs()" COMPONENT Runtime)
install(FILES ${_tld_samples} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT Runtime)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/debian-copyright DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME copyright COMPONENT Runtime)

# The user documentation; docs/HELPERS.md is the team's scratch board, not documentation.
file(GLOB _tld_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
list(FILTER _tld_docs EXCLUDE REGEX "/HELPERS\\.md$")
install(FILES ${_tld_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT Runtime)

# --- Last: note what this install wrote, for `cmake --build build --target uninstall` --------
# Runs for every component; each install adds to the list (cmake/uninstall.cmake).
install(CODE "
  set(TLD_INSTALLED_LIST \"${TLD_INSTALLED_LIST}\")
  include(\"${CMAKE_CURRENT_LIST_DIR}/install-time.cmake\")
  tld_note_installed()" ALL_COMPONENTS)
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DTLD_INSTALLED_LIST=${TLD_INSTALLED_LIST}
          -P ${CMAKE_CURRENT_LIST_DIR}/uninstall.cmake
  COMMENT "Removing what `cmake --install` put in place (${TLD_INSTALLED_LIST})"
  VERBATIM)

# --- cpack -G DEB ----------------------------------------------------------------------------
# One package with both components, laid out for /usr (configure with
# -DCMAKE_INSTALL_PREFIX=/usr so the programs read /etc/tld). The sample configs are conffiles:
# dpkg keeps an admin's edits on upgrade and asks before replacing them.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tld)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}: tldd, tldctl, libtld, the preload")
set(CPACK_PACKAGE_CONTACT "tld developers <tld@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs file for libtld.so.0 and the ldconfig trigger, as Debian packages of libraries have.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bpftool")
set(CPACK_STRIP_FILES ON)
tld_config_dir(_tld_deb_confdir /usr "${CMAKE_INSTALL_SYSCONFDIR}")
file(WRITE "${_tld_gen}/deb/conffiles"
     "${_tld_deb_confdir}/keys.conf\n${_tld_deb_confdir}/tldd.conf\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${_tld_gen}/deb/conffiles")
if(NOT TLD_CONFIG_DIR STREQUAL _tld_deb_confdir)
  message(STATUS "tld: a .deb from this build would hold programs reading ${TLD_CONFIG_DIR}; "
                 "configure with -DCMAKE_INSTALL_PREFIX=/usr to package")
endif()
include(CPack)
