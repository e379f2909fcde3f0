# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Builds BPF C with clang (btf_type_tag needs clang >= 16) and generates libbpf skeletons.
set(TLD_BPF_CLANG "" CACHE FILEPATH "clang for BPF C (>= 16; empty: look for clang-19, clang-16)")
set(TLD_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH "BTF that vmlinux.h is generated from")

if(NOT TLD_BPF_CLANG)
  find_program(TLD_BPF_CLANG_FOUND NAMES clang-19 clang-16)
  if(NOT TLD_BPF_CLANG_FOUND)
    message(FATAL_ERROR "BPF C needs clang >= 16 and neither clang-19 nor clang-16 is on PATH: "
                        "install clang-19 (Debian 12: apt-get install clang-19, or run "
                        "scripts/install-deps) or name one with -DTLD_BPF_CLANG=/path/to/clang")
  endif()
  set(TLD_BPF_CLANG "${TLD_BPF_CLANG_FOUND}")
endif()
find_program(TLD_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
if(NOT TLD_BPFTOOL)
  message(FATAL_ERROR "bpftool not found (it generates vmlinux.h and the BPF skeletons): "
                      "install it (Debian 12: apt-get install bpftool, or run "
                      "scripts/install-deps) or name it with -DTLD_BPFTOOL=/path/to/bpftool")
endif()

execute_process(COMMAND ${TLD_BPF_CLANG} -dumpversion OUTPUT_VARIABLE _tld_clang_version
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_tld_clang_version VERSION_LESS 16)
  message(FATAL_ERROR "${TLD_BPF_CLANG} is clang ${_tld_clang_version}: BPF C needs clang >= 16, "
                      "older clang drops btf_type_tag and __uptr silently does nothing")
endif()
if(NOT EXISTS "${TLD_VMLINUX_BTF}")
  message(FATAL_ERROR "no BTF at ${TLD_VMLINUX_BTF}: set TLD_VMLINUX_BTF to a vmlinux with BTF")
endif()

set(TLD_BPF_GEN_DIR "${CMAKE_BINARY_DIR}/bpf-gen")
file(MAKE_DIRECTORY "${TLD_BPF_GEN_DIR}")
add_custom_command(
  OUTPUT "${TLD_BPF_GEN_DIR}/vmlinux.h"
  COMMAND ${TLD_BPFTOOL} btf dump file "${TLD_VMLINUX_BTF}" format c > "${TLD_BPF_GEN_DIR}/vmlinux.h.tmp"
  COMMAND ${CMAKE_COMMAND} -E rename "${TLD_BPF_GEN_DIR}/vmlinux.h.tmp" "${TLD_BPF_GEN_DIR}/vmlinux.h"
  DEPENDS "${TLD_VMLINUX_BTF}"
  COMMENT "Generating vmlinux.h from ${TLD_VMLINUX_BTF}")
add_custom_target(tld_vmlinux_h DEPENDS "${TLD_BPF_GEN_DIR}/vmlinux.h")

string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _tld_arch)
if(_tld_arch MATCHES "x86_64|amd64")
  set(TLD_BPF_ARCH x86)
elseif(_tld_arch MATCHES "aarch64|arm64")
  set(TLD_BPF_ARCH arm64)
else()
  set(TLD_BPF_ARCH "${_tld_arch}")
endif()

if(TLD_WERROR)
  set(_tld_bpf_werror -Werror)
else()
  set(_tld_bpf_werror "")
endif()

# tld_bpf_skeleton(<name> <source.bpf.c> [CFLAGS ...])
# Compiles <source> to <name>.bpf.o and generates <name>.skel.h; target <name>_skel carries the
# include directory and build order. Header dependencies come from clang's depfile, so every
# header a program includes (its own folder's too) rebuilds it when edited.
function(tld_bpf_skeleton name src)
  cmake_parse_arguments(ARG "" "" "CFLAGS" ${ARGN})
  get_filename_component(src_abs "${src}" ABSOLUTE)
  set(obj "${TLD_BPF_GEN_DIR}/${name}.bpf.o")
  set(skel "${TLD_BPF_GEN_DIR}/${name}.skel.h")
  add_custom_command(
    OUTPUT "${obj}"
    COMMAND ${TLD_BPF_CLANG} -target bpf -g -O2 -Wall ${_tld_bpf_werror} -D__TARGET_ARCH_${TLD_BPF_ARCH}
            ${ARG_CFLAGS} -I "${TLD_BPF_GEN_DIR}" -I "${PROJECT_SOURCE_DIR}/bpf/include"
            -MD -MF "${obj}.d" -c "${src_abs}" -o "${obj}"
    DEPENDS "${src_abs}" "${TLD_BPF_GEN_DIR}/vmlinux.h"
    DEPFILE "${obj}.d"
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT "${skel}"
    COMMAND ${TLD_BPFTOOL} gen skeleton "${obj}" name "${name}" > "${skel}.tmp"
    COMMAND ${CMAKE_COMMAND} -E rename "${skel}.tmp" "${skel}"
    DEPENDS "${obj}"
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS "${skel}")
  # vmlinux.h's rule lives in the top directory: Ninja sees it from here, Unix Makefiles only
  # through this target-level order ("No rule to make target 'bpf-gen/vmlinux.h'" without it).
  add_dependencies(${name}_skel_gen tld_vmlinux_h)
  add_library(${name}_skel INTERFACE)
  target_include_directories(${name}_skel INTERFACE "${TLD_BPF_GEN_DIR}")
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
  add_dependencies(${name}_skel ${name}_skel_gen)
endfunction()
