'use strict';
// The numbers index.js copies from include/qwen3vl.h, and the package's version, held to the header.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const q = require('..');

const header = Object.fromEntries([...fs.readFileSync(path.join(__dirname, '../../../include/qwen3vl.h'), 'utf8')
  .matchAll(/^#define QWEN3VL_(\w+)\s+(\d+)\b/gm)].map((m) => [m[1], Number(m[2])]));

test('STATUS and PIXELS are the header\'s, all of them', () => {
  const statuses = Object.fromEntries(Object.entries(header).filter(([k]) => k === 'OK' || k.startsWith('ERR_'))
    .map(([k, v]) => [k.replace(/^ERR_/, ''), v]));
  assert.deepEqual({ ...q.STATUS }, statuses);
  const pixels = Object.fromEntries(Object.entries(header).filter(([k]) => k.startsWith('PIXELS_'))
    .map(([k, v]) => [k.replace(/^PIXELS_/, ''), v]));
  assert.deepEqual({ ...q.PIXELS }, pixels);
});

test('the package version is the header\'s and the library\'s', () => {
  const version = `${header.VERSION_MAJOR}.${header.VERSION_MINOR}.${header.VERSION_PATCH}`;
  assert.equal(require('../package.json').version, version);
  assert.equal(q.version(), version);
});
