# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# run(COMMAND... [WORKING_DIRECTORY dir]) for the install tests' cmake -P drivers: runs a
# command in ${WORK} (or dir); any failure ends the test with the command and its output.
# Leaves the output in RUN_OUT and RUN_ERR.
function(run)
  cmake_parse_arguments(R "" "WORKING_DIRECTORY" "" ${ARGN})
  if(NOT R_WORKING_DIRECTORY)
    set(R_WORKING_DIRECTORY "${WORK}")
  endif()
  execute_process(COMMAND ${R_UNPARSED_ARGUMENTS} WORKING_DIRECTORY "${R_WORKING_DIRECTORY}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " cmd "${R_UNPARSED_ARGUMENTS}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "FAILED (${rc}): ${cmd}\n${out}${err}")
  endif()
  message("$ ${cmd}")
  set(RUN_OUT "${out}" PARENT_SCOPE)
  set(RUN_ERR "${err}" PARENT_SCOPE)
endfunction()
