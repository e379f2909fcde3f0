# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Eight busy threading threads with a deterministic result, for the preload's real-program test.
import sys
import threading
import time

seconds = float(sys.argv[1])
results = [0] * 8


def work(i):
    end = time.monotonic() + seconds
    x = i
    while time.monotonic() < end:
        for _ in range(1000):
            x = (x * 1103515245 + 12345) & 0xFFFFFFFF
    results[i] = i


threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("sum", sum(results))
