# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
ssh -V; ssh-keygen -l -f /dev/null 2>&1 | head -1; echo status $?
