# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tld as a container image: a build stage, then a runtime image with the installed tree.
#
#   docker build -t tld .                 # runtime image (tldd, tldctl, libtld, the preload)
#   docker build --target build -t tld-dev .
#   docker run --rm --privileged --pid=host -v /sys/fs/bpf:/sys/fs/bpf -v /run/tld:/run/tld tld
#
# tldd needs the host's bpffs (the pins must outlive the container and be visible to the
# schedulers that read them) and CAP_BPF; --pid=host lets it name client threads by tid.
#
# The steps are the CI's: the dependency script is scripts/install-deps (as in the README and
# scripts/test), and the configure and build lines are scripts/test's configure() (run by
# .ci/run) plus the /usr prefix; the install line is the one tests/install/install_test.cmake runs (label install), so
# CI exercises every command below except the image assembly. Docker itself cannot run where CI
# does (it needs root on the host for BPF). Keep them identical when either side changes.
#
# The build generates vmlinux.h from /sys/kernel/btf/vmlinux, which docker build sees from the
# host kernel; elsewhere pass a BTF file: --build-arg CMAKE_EXTRA=-DTLD_VMLINUX_BTF=/path.

FROM debian:bookworm AS build
WORKDIR /src
# The dependency script alone first, so the package layer is cached across source changes.
COPY scripts/install-deps scripts/install-deps
RUN bash scripts/install-deps
COPY . .
ARG CMAKE_EXTRA=
RUN cmake -S /src -B build -G Ninja -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
          -DTLD_FUZZ=ON -DCMAKE_INSTALL_PREFIX=/usr ${CMAKE_EXTRA} \
 && cmake --build build -j"$(nproc)"
# Configured for /usr (unlike scripts/test's build), because the programs read the config
# directory of the prefix they were configured for: /etc/tld for /usr (cmake/paths.cmake).
RUN DESTDIR=/staging cmake --install build --component Runtime

FROM debian:bookworm-slim AS runtime
COPY scripts/install-deps /tmp/install-deps
RUN bash /tmp/install-deps --runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps
COPY --from=build /staging/ /
# tldd logs to stderr; without $NOTIFY_SOCKET it skips sd_notify. SIGTERM keeps the pins.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/sbin/tldd"]
