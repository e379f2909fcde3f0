# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Builds depfile_project, edits a header the BPF program includes from its own folder (one no
# DEPENDS names), rebuilds, and checks the object was compiled again with the new value.
# Inputs (-D): PROJECT_DIR TLD_ROOT WORK GENERATOR BPF_CLANG
cmake_minimum_required(VERSION 3.25)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "FAILED (${rc}): ${cmd}\n${out}${err}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/src")
file(WRITE "${WORK}/src/probe_value.h" "#define PROBE_VALUE 1111\n")
file(WRITE "${WORK}/src/probe.bpf.c"
     "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include \"probe_value.h\"\n"
     "const volatile int probe_value = PROBE_VALUE;\n"
     "SEC(\"syscall\") int probe(void *ctx) { return probe_value; }\n"
     "char LICENSE[] SEC(\"license\") = \"GPL\";\n")

run(${CMAKE_COMMAND} -S "${PROJECT_DIR}" -B "${WORK}/b" -G "${GENERATOR}"
    -DTLD_ROOT=${TLD_ROOT} -DTLD_BPF_CLANG=${BPF_CLANG}
    -DPROBE_SRC=${WORK}/src/probe.bpf.c -DPROBE_INCLUDE=${WORK}/src)
run(${CMAKE_COMMAND} --build "${WORK}/b")
set(obj "${WORK}/b/bpf-gen/probe.bpf.o")
set(skel "${WORK}/b/bpf-gen/probe.skel.h")
file(READ "${obj}" before HEX)
file(READ "${skel}" skel_before)
# 1111 = 0x457 and 2222 = 0x8ae: the rodata bytes in the object (little endian).
if(NOT before MATCHES "57040000")
  message(FATAL_ERROR "the first build's object does not hold PROBE_VALUE 1111")
endif()

# Make sure the edit is newer than the object even on a coarse-mtime file system.
execute_process(COMMAND ${CMAKE_COMMAND} -E sleep 1.1)
file(WRITE "${WORK}/src/probe_value.h" "#define PROBE_VALUE 2222\n")
run(${CMAKE_COMMAND} --build "${WORK}/b")
file(READ "${obj}" after HEX)
file(READ "${skel}" skel_after)
if(NOT after MATCHES "ae080000" OR skel_after STREQUAL skel_before)
  message(FATAL_ERROR "${GENERATOR}: editing probe_value.h did not rebuild probe.bpf.o: "
                      "its header dependencies are not tracked")
endif()
message("${GENERATOR}: the edited header rebuilt the BPF object and its skeleton")
