# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
python3 - <<'PY'
import threading, queue, hashlib
q = queue.Queue(); out = {}
def work(i):
    out[i] = hashlib.sha256(str(i).encode() * 10000).hexdigest()[:12]
ts = [threading.Thread(target=work, args=(i,), name=f"w{i}") for i in range(16)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sorted(out.items())[:4], len(out), threading.active_count())
PY
