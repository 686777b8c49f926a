'use strict';
// The Node binding against the stand-in server (Tests/server/stand_in.py), its port in STAND_IN_PORT.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const q = require('..');

const port = process.env.STAND_IN_PORT;
assert.ok(port, 'STAND_IN_PORT is not set (source scripts/stand-in.sh)');
let uid = 0;
const optionsFor = (scenario) => ({
  api_key: 'k', max_retries: 0, base_url: `http://127.0.0.1:${port}/s/${scenario}/node${process.pid}-${++uid}/v1`,
});
const clientFor = (scenario) => new q.Client(optionsFor(scenario));
const HELLO = { messages: [{ role: 'user', content: 'Hello there' }] };

test('chat resolves with a Reply', async () => {
  const c = clientFor('ok');
  const r = await c.chat(HELLO);
  assert.equal(r.text, 'echo: Hello there');
  assert.equal(r.finishReason, 'stop');
  assert.match(r.requestId, /^inf-/);
  assert.equal(r.usage.promptTokens, 11);
  assert.ok(r.usage.totalTokens > r.usage.completionTokens);
  assert.deepEqual([r.httpStatus, r.attempts, r.toolCalls], [200, 1, []]);
  assert.equal(r.raw.object, 'chat.completion');
  assert.ok(r.elapsedMs > 0);
  // JSON text works as well; strings are escaped both ways.
  const r2 = await c.chat(JSON.stringify({ messages: [{ role: 'user', content: 'say "hi" \\ ☃\n' }] }));
  assert.equal(r2.text, 'echo: say "hi" \\ ☃\n');
  c.close();
});

test('failures are Error subclasses with status, code, httpStatus and requestId', async () => {
  const c = clientFor('status:401');
  await assert.rejects(c.chat(HELLO), (e) => {
    assert.ok(e instanceof q.AuthenticationError && e instanceof q.Qwen3VLError && e instanceof Error);
    assert.deepEqual([e.name, e.status, e.code, e.httpStatus], ['AuthenticationError', q.STATUS.AUTH, 'QWEN3VL_ERR_AUTH', 401]);
    assert.match(e.message, /stand-in says 401/);
    return true;
  });
  await assert.rejects(clientFor('status:503').chat(HELLO), (e) => e instanceof q.ServerError && e.httpStatus === 503);
  await assert.rejects(clientFor('sse').chat(HELLO), q.ProtocolError); // a stream where a reply was due
  assert.throws(() => new q.Client({ timeout_ms: 'soon' }), (e) => e instanceof q.InvalidArgumentError && /timeout_ms/.test(e.message));
  const ok = clientFor('ok');
  await assert.rejects(ok.chat({ messages: [{ role: 'user', content: 5 }] }),
    (e) => e instanceof q.InvalidRequestError && e.message.includes('messages[0].content'));
  await assert.rejects(ok.chat(HELLO, { timeoutMs: -1 }), (e) => e instanceof q.InvalidArgumentError && /timeout_ms/.test(e.message));
  await assert.rejects(ok.chat(HELLO, { timeout: 5 }), (e) => e instanceof q.InvalidArgumentError && /unknown call option "timeout"/.test(e.message));
  await assert.rejects(ok.chat('{"messages": \0}'), (e) => e instanceof q.InvalidArgumentError && /NUL/.test(e.message));
  await assert.rejects(ok.chat(1n), q.InvalidRequestError); // BigInt has no JSON form
  ok.close();
});

test('stream yields deltas and assembles the reply', async () => {
  const c = clientFor('sse');
  const s = c.stream(HELLO);
  const deltas = [];
  for await (const delta of s) deltas.push(delta);
  const r = await s.reply;
  assert.equal(deltas.join(''), 'echo: Hello there');
  assert.ok(deltas.length > 10 && deltas.every((d) => d.length > 0));
  assert.equal(r.text, 'echo: Hello there');
  c.close();
});

test('leaving a stream early cancels it', async () => {
  const c = clientFor('sse:delay=20');
  const s = c.stream(HELLO);
  let seen = '';
  for await (const delta of s) {
    seen += delta;
    if (seen.length >= 4) break;
  }
  assert.equal(seen, 'echo');
  await assert.rejects(s.reply, q.RequestCancelledError);
  // An exception in the loop's body does the same.
  const s2 = c.stream(HELLO);
  await assert.rejects((async () => { for await (const d of s2) throw new Error(`stop at ${d}`); })(), /stop at e/);
  await assert.rejects(s2.reply, q.RequestCancelledError);
  c.close();
});

test('a stream failing mid-way throws from the loop after its deltas', async () => {
  const c = clientFor('sse:errorevent');
  const deltas = [];
  await assert.rejects((async () => { for await (const d of c.stream(HELLO)) deltas.push(d); })(),
    (e) => e instanceof q.ProtocolError && /model overloaded/.test(e.message));
  assert.ok(deltas.length >= 1, `${deltas}`);
  c.close();
});

test('AbortSignal cancels', async () => {
  const c = clientFor('slow:3000');
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('user gave up')), 100);
  const t0 = Date.now();
  await assert.rejects(c.chat(HELLO, { signal: ac.signal }), (e) => {
    assert.ok(e instanceof q.RequestCancelledError && e.status === q.STATUS.CANCELLED);
    assert.equal(e.cause.message, 'user gave up');
    return true;
  });
  assert.ok(Date.now() - t0 < 1500);
  // Already aborted: nothing starts. AbortSignal.timeout ends a stream.
  await assert.rejects(c.chat(HELLO, { signal: ac.signal }), q.RequestCancelledError);
  const slow = clientFor('sse:delay=200');
  await assert.rejects((async () => { for await (const _ of slow.stream(HELLO, { signal: AbortSignal.timeout(300) })); })(),
    (e) => e instanceof q.RequestCancelledError && e.cause?.name === 'TimeoutError' && e.text.length > 0);
  c.close();
  slow.close();
});

test('calls never block the event loop, and many share one client', async () => {
  const c = clientFor('slow:300');
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => c.chat({ messages: [{ role: 'user', content: `n${i}` }] })));
  clearInterval(timer);
  assert.deepEqual(replies.map((r) => r.text), replies.map((_, i) => `echo: n${i}`));
  assert.ok(ticks >= 15, `${ticks} ticks while 200 calls of 300 ms ran`);
  c.close();
});

test('close rejects calls in flight; cancelAll cancels them', async () => {
  const c = clientFor('slow:3000');
  const p = c.chat(HELLO);
  const s = c.stream(HELLO);
  setTimeout(() => c.cancelAll(), 50);
  await assert.rejects(p, q.RequestCancelledError);
  await assert.rejects(s.reply, q.RequestCancelledError);
  const p2 = c.chat(HELLO);
  c.close();
  await assert.rejects(p2, (e) => e instanceof q.ClientClosedError && e instanceof q.RequestCancelledError);
  await assert.rejects(c.chat(HELLO), (e) => e instanceof q.InvalidArgumentError && /closed/.test(e.message));
  c.close();
});

// In a process of its own: a client that is neither closed nor referenced lets Node exit once its
// calls are done, and one dropped with a call in flight lives until that call ends.
test('an idle client keeps nothing alive; a busy one is kept', () => {
  const script = `
    const q = require(${JSON.stringify(path.resolve(__dirname, '..'))});
    const opts = ${JSON.stringify(optionsFor('slow:200'))};
    const p = new q.Client(opts).chat({ messages: [{ role: 'user', content: 'kept' }] });
    global.gc(); global.gc();
    p.then((r) => { global.gc(); console.log(r.text); });`;
  const t0 = Date.now();
  const out = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 10000 });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'echo: kept');
  assert.ok(Date.now() - t0 < 5000);
});
