# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
python3 - <<'PY'
import asyncio, concurrent.futures
async def sub(i):
    p = await asyncio.create_subprocess_exec("sh", "-c", f"echo child {i}", stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate(); return out.decode().strip()
async def main():
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        r = await asyncio.gather(*[loop.run_in_executor(ex, pow, 3, i) for i in range(8)])
    print(r)
    print(await asyncio.gather(*[sub(i) for i in range(4)]))
asyncio.run(main())
PY
