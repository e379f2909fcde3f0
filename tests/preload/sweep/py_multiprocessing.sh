# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
cat > mp.py <<'PY'
import multiprocessing as mp
def sq(x): return x * x
if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        with mp.get_context(method).Pool(3) as p:
            print(method, sum(p.map(sq, range(1000))))
PY
python3 mp.py
