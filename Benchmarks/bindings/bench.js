'use strict';
// One non-streamed call at a time through the Node binding, as floor.c does it from C:
//   node bench.js BASE N text|object   -> one JSON line: wall and CPU time per call
const { Client } = require('../../bindings/node');

async function main() {
  const [base, n, form] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
  const c = new Client({ api_key: 'k', max_retries: 0, base_url: base });
  const text = '{"model":"alibaba/qwen3-vl-32b-instruct","messages":[{"role":"user","content":"Describe the image."}]}';
  // An object is built per call, as a program building its requests does.
  const request = form === 'object'
    ? () => ({ model: 'alibaba/qwen3-vl-32b-instruct', messages: [{ role: 'user', content: 'Describe the image.' }] })
    : () => text;
  let ok = 0;
  let t0 = 0;
  let c0 = null;
  for (let i = -5; i < n; i++) {
    if (i === 0) [t0, c0] = [performance.now(), process.cpuUsage()];
    const r = await c.chat(request());
    if (i >= 0 && r.text) ok++;
  }
  const cpu = process.cpuUsage(c0);
  console.log(JSON.stringify({
    contender: form === 'object' ? 'Node.js (object)' : 'Node.js (JSON text)',
    us_per_op: Number(((performance.now() - t0) * 1000 / n).toFixed(2)),
    cpu_us_per_op: Number(((cpu.user + cpu.system) / n).toFixed(2)), ok, n,
  }));
  c.close();
}
main();
