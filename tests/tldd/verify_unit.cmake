# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Runs systemd-analyze verify on a copy of the unit whose ExecStart names the built tldd:
# verify rejects a unit whose binary does not exist, and /usr/sbin/tldd is not installed here.
file(READ "${UNIT}" text)
string(REPLACE "ExecStart=/usr/sbin/tldd" "ExecStart=${TLDD}" text "${text}")
if(NOT text MATCHES "ExecStart=${TLDD}")
  message(FATAL_ERROR "the unit has no ExecStart=/usr/sbin/tldd to rewrite")
endif()
file(MAKE_DIRECTORY "${WORK}")
file(WRITE "${WORK}/tldd.service" "${text}")
execute_process(COMMAND "${ANALYZE}" verify "${WORK}/tldd.service"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
# verify exits 0 with warnings on stderr for what it merely dislikes: any line about our
# unit counts as a failure.
if(NOT rc EQUAL 0 OR err MATCHES "tldd.service")
  message(FATAL_ERROR "systemd-analyze verify failed (${rc})")
endif()
