# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
node -e '
const { Worker, isMainThread } = require("worker_threads");
const ps = [1, 2, 3, 4].map(n => new Promise(res => {
  const w = new Worker("const {parentPort, workerData} = require(\"worker_threads\"); let s = 0; for (let i = 0; i < 1e6; i++) s += i % workerData; parentPort.postMessage(s);", { eval: true, workerData: n + 1 });
  w.on("message", res);
}));
Promise.all(ps).then(r => console.log(r.join(" ")));'
