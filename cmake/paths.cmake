# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Where tld's configuration lives for a given install prefix: one rule, used when the build is
# configured (the path compiled into the programs) and again at install time (where the samples
# go, which may be another prefix: `cmake --install build --prefix /tmp/p`).
#
#   prefix /usr, sysconfdir relative (the default "etc")  -> /etc        (GNUInstallDirs' rule)
#   sysconfdir absolute (-DCMAKE_INSTALL_SYSCONFDIR=/x)    -> /x
#   any other prefix                                       -> <prefix>/etc
# GNUInstallDirs would send /opt/<name> to /etc/opt/<name>; tld keeps a prefix install inside
# its prefix so that removing the prefix removes everything.
function(tld_config_dir out prefix sysconfdir)
  if(IS_ABSOLUTE "${sysconfdir}")
    set(dir "${sysconfdir}")
  elseif(prefix STREQUAL "/usr")
    set(dir "/${sysconfdir}")
  else()
    set(dir "${prefix}/${sysconfdir}")
  endif()
  set(${out} "${dir}/tld" PARENT_SCOPE)
endfunction()

# The systemd unit directory: for the /usr prefix what systemd says (pkg-config systemd,
# /lib/systemd/system on Debian 12), given as usr_unitdir; for any other prefix
# <prefix>/lib/systemd/system (systemd reads /usr/local/lib/systemd/system; a unit elsewhere is
# enabled with `systemctl link`). An explicit directory wins: relative ones are under the prefix.
function(tld_unit_dir out prefix explicit usr_unitdir)
  if(explicit AND IS_ABSOLUTE "${explicit}")
    set(dir "${explicit}")
  elseif(explicit)
    set(dir "${prefix}/${explicit}")
  elseif(prefix STREQUAL "/usr" AND usr_unitdir)
    set(dir "${usr_unitdir}")
  else()
    set(dir "${prefix}/lib/systemd/system")
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()
