# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Run by `cmake --install` (install(CODE) in cmake/install.cmake), where CMAKE_INSTALL_PREFIX is
# the prefix really installed to, which may differ from the configured one (--prefix). Files
# that name absolute paths are written here so they always match where things landed.
# file(INSTALL) adds $DESTDIR and records the file in CMAKE_INSTALL_MANIFEST_FILES, which each
# function passes up so that install_manifest.txt lists it.

# cmake_install.cmake runs with every policy OLD; CMP0053's OLD behaviour would expand the
# unit's @PLACEHOLDERS@ inside string(REPLACE) arguments. This file's own scope, and the
# functions defined in it, get current policies.
cmake_policy(VERSION 3.25)

# A directory from GNUInstallDirs: relative ones live under the install prefix.
function(tld_absolute out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

# tldd.service with ExecStart at the installed tldd.
function(tld_install_unit)
  tld_absolute(TLDD_DIR "${TLD_SBINDIR}")
  set(TLDD_PATH "${TLDD_DIR}/tldd")
  tld_absolute(TLD_DOCDIR "${TLD_DOCDIR}")
  tld_absolute(unitdir "${TLD_SYSTEMD_UNITDIR}")
  # Plain replacement, not configure_file: systemd syntax has '@' of its own
  # (SystemCallFilter=@system-service).
  file(READ "${TLD_UNIT_TEMPLATE}" unit)
  string(REPLACE "@TLDD_PATH@" "${TLDD_PATH}" unit "${unit}")
  string(REPLACE "@TLD_DOCDIR@" "${TLD_DOCDIR}" unit "${unit}")
  file(WRITE "${TLD_BINARY_DIR}/tldd.service" "${unit}")
  file(INSTALL DESTINATION "${unitdir}" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES "${TLD_BINARY_DIR}/tldd.service")
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)
endfunction()

# tld.pc with the installed prefix, library and include directories.
function(tld_install_pc)
  set(TLD_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  foreach(kind LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${TLD_${kind}}")
      set(TLD_PC_${kind} "${TLD_${kind}}")
    else()
      set(TLD_PC_${kind} "\${prefix}/${TLD_${kind}}")
    endif()
  endforeach()
  configure_file("${TLD_PC_TEMPLATE}" "${TLD_BINARY_DIR}/tld.pc" @ONLY)
  tld_absolute(pcdir "${TLD_LIBDIR}/pkgconfig")
  file(INSTALL DESTINATION "${pcdir}" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES "${TLD_BINARY_DIR}/tld.pc")
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)
endfunction()

# The sample configs, only where none exist: a reinstall must not undo an admin's edits (the
# pristine samples are also in the doc directory). Mode 0644: every process run with the
# preload reads keys.conf, whatever its user.
function(tld_install_configs)
  # GNUInstallDirs' rule for the /usr prefix, also when /usr is given only at install time
  # (the Dockerfile): the programs read /etc/tld, not /usr/etc/tld.
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND TLD_SYSCONFDIR STREQUAL "etc")
    set(TLD_SYSCONFDIR "/etc")
  endif()
  tld_absolute(dir "${TLD_SYSCONFDIR}")
  set(dir "${dir}/tld")
  foreach(sample IN LISTS TLD_SAMPLES)
    get_filename_component(name "${sample}" NAME)
    if(EXISTS "$ENV{DESTDIR}${dir}/${name}")
      message(STATUS "Keeping: $ENV{DESTDIR}${dir}/${name} (existing configuration)")
      continue()
    endif()
    file(INSTALL DESTINATION "${dir}" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "${sample}")
  endforeach()
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)
endfunction()
