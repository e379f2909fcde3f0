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
include("${CMAKE_CURRENT_LIST_DIR}/paths.cmake")

# The config directory of this install, and a warning when the programs were built for another
# one: they read their compiled-in directory (config/keys_config.h) unless told otherwise.
function(tld_install_config_dir out)
  tld_config_dir(dir "${CMAKE_INSTALL_PREFIX}" "${TLD_SYSCONFDIR}")
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

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
  tld_unit_dir(unitdir "${CMAKE_INSTALL_PREFIX}" "${TLD_UNIT_DIR}" "${TLD_USR_UNITDIR}")
  # tldd built for another config directory is pointed at this install's tldd.conf (whose
  # keys-config names this install's keys.conf, tld_install_configs).
  tld_install_config_dir(confdir)
  if(NOT confdir STREQUAL TLD_COMPILED_CONFIG_DIR)
    set(TLDD_PATH "${TLDD_PATH} --config ${confdir}/tldd.conf")
  endif()
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
  tld_install_config_dir(dir)
  if(NOT dir STREQUAL TLD_COMPILED_CONFIG_DIR)
    message(WARNING "tld: configs go to ${dir}, but the programs were built to read "
                    "${TLD_COMPILED_CONFIG_DIR}. The installed unit passes --config; run tldctl "
                    "and the preload with TLD_CONFIG=${dir}/keys.conf, or configure the build "
                    "with -DCMAKE_INSTALL_PREFIX=${CMAKE_INSTALL_PREFIX}.")
  endif()
  set(configs "${TLD_INSTALLED_CONFIGS}")
  foreach(sample IN LISTS TLD_SAMPLES)
    get_filename_component(name "${sample}" NAME)
    if(EXISTS "$ENV{DESTDIR}${dir}/${name}")
      message(STATUS "Keeping: $ENV{DESTDIR}${dir}/${name} (existing configuration)")
      continue()
    endif()
    # tldd.conf names keys.conf: the one of this install.
    file(READ "${sample}" text)
    string(REGEX REPLACE "\nkeys-config = [^\n]*" "\nkeys-config = ${dir}/keys.conf" text
           "${text}")
    file(WRITE "${TLD_BINARY_DIR}/${name}" "${text}")
    file(INSTALL DESTINATION "${dir}" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "${TLD_BINARY_DIR}/${name}")
    # Its hash as installed: uninstall removes it only if nobody edited it since.
    file(SHA256 "${TLD_BINARY_DIR}/${name}" sum)
    list(APPEND configs "$ENV{DESTDIR}${dir}/${name}=${sum}")
  endforeach()
  set(TLD_INSTALLED_CONFIGS "${configs}" PARENT_SCOPE)
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)
endfunction()

# Adds what this install wrote to TLD_INSTALLED_LIST, one line each: "file PATH",
# "config SHA256 PATH" (a sample config, removed only while unedited) or "prefix DIR" (under
# which empty directories go on uninstall). Paths are as on disk, with $DESTDIR. The list
# outlives reinstalls: each adds to it, so uninstall removes every file any install put there.
function(tld_note_installed)
  # cpack's staging tree is not an install to undo.
  if("$ENV{DESTDIR}" MATCHES "/_CPack_Packages/")
    return()
  endif()
  set(lines "")
  if(EXISTS "${TLD_INSTALLED_LIST}")
    file(STRINGS "${TLD_INSTALLED_LIST}" lines)
  endif()
  set(configs "")
  foreach(c IN LISTS TLD_INSTALLED_CONFIGS)
    string(REGEX MATCH "^(.*)=([0-9a-f]+)$" m "${c}")
    set(path "${CMAKE_MATCH_1}")
    set(sum "${CMAKE_MATCH_2}")
    list(APPEND configs "${path}")
    set(rest "")
    foreach(l IN LISTS lines)
      string(REGEX REPLACE "^(file|config [0-9a-f]+) " "" l_path "${l}")
      if(NOT l_path STREQUAL path)
        list(APPEND rest "${l}")
      endif()
    endforeach()
    set(lines "${rest}")
    list(APPEND lines "config ${sum} ${path}")
  endforeach()
  foreach(f IN LISTS CMAKE_INSTALL_MANIFEST_FILES)
    set(f "$ENV{DESTDIR}${f}")
    if(NOT f IN_LIST configs AND NOT "file ${f}" IN_LIST lines)
      list(APPEND lines "file ${f}")
    endif()
  endforeach()
  set(p "prefix $ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
  if(NOT p IN_LIST lines)
    list(APPEND lines "${p}")
  endif()
  list(JOIN lines "\n" text)
  file(WRITE "${TLD_INSTALLED_LIST}" "${text}\n")
endfunction()

# The dynamic loader finds libraries in /usr/local's libdir (Debian's /etc/ld.so.conf.d lists
# it) only through its cache: after an install there, programs linked with libtld and a bare
# LD_PRELOAD=libtldpreload.so work only once ldconfig ran. A Debian package runs it by trigger;
# a plain `cmake --install` into /usr or /usr/local runs it here. Not for other prefixes (the
# loader does not search them, and the host's cache is no business of a private prefix's) or
# staging trees (DESTDIR).
function(tld_refresh_ld_cache)
  if(NOT "$ENV{DESTDIR}" STREQUAL "" OR NOT CMAKE_INSTALL_PREFIX MATCHES "^/usr(/local)?/?$")
    return()
  endif()
  find_program(ldconfig NAMES ldconfig PATHS /sbin /usr/sbin NO_CACHE)
  if(ldconfig)
    execute_process(COMMAND "${ldconfig}" RESULT_VARIABLE rc ERROR_VARIABLE err)
  endif()
  if(NOT ldconfig OR NOT rc EQUAL 0)
    message(WARNING "could not refresh the dynamic loader's cache (${err}): run `sudo ldconfig` "
                    "so programs find libtld.so.0 and libtldpreload.so")
  else()
    message(STATUS "Ran ldconfig: programs find libtld.so.0 and libtldpreload.so")
  endif()
endfunction()
