'use strict';
// The image helpers (no server needed).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const q = require('..');

// The header of a PNG of width x height: what the library reads an image's type and size from.
function pngHeader(width, height) {
  const h = Buffer.alloc(16 + 8 + 17);
  Buffer.from('\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR', 'latin1').copy(h);
  h.writeUInt32BE(width, 16);
  h.writeUInt32BE(height, 20);
  return h;
}

test('image helpers', () => {
  const png = pngHeader(1000, 500);
  assert.deepEqual(q.imageSize(png), { width: 1000, height: 500 });
  assert.deepEqual(q.imageSize(new Uint8Array(png).buffer), { width: 1000, height: 500 });
  const uri = q.imageDataUri(png);
  assert.equal(uri, `data:image/png;base64,${png.toString('base64')}`);
  assert.deepEqual(q.imagePart(png, 'low'), { type: 'image_url', image_url: { url: uri, detail: 'low' } });
  assert.equal(q.imageTokens(1000, 500), 496);
  const file = path.join(os.tmpdir(), `qwen3vl-node-${process.pid}.png`);
  fs.writeFileSync(file, png);
  try {
    assert.deepEqual(q.imageSize(file), { width: 1000, height: 500 });
  } finally {
    fs.unlinkSync(file);
  }
  const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
  const pixels = q.pixelsDataUri(rgb, 2, 2, { format: 'rgb8' });
  assert.deepEqual(q.imageSize(Buffer.from(pixels.split(',')[1], 'base64')), { width: 2, height: 2 });
  assert.deepEqual(q.grounding('```json\n[{"bbox_2d": [100, 200, 500, 800], "label": "cat"}]\n```', 1000, 500),
    [{ bbox_2d: [100, 100, 500, 400], label: 'cat' }]);
  assert.deepEqual(q.grounding('', 10, 10), []);
});

test('image helpers fail with the library status', () => {
  assert.throws(() => q.imageDataUri(Buffer.from('not an image')), (e) => e instanceof q.FileError && e.message.length > 0);
  assert.throws(() => q.imageSize('/nonexistent/cat.png'), q.FileError);
  assert.throws(() => q.imageTokens(0, 10), q.InvalidArgumentError);
  assert.throws(() => q.pixelsDataUri(Buffer.alloc(3), 2, 2, { format: 'RGB8' }), q.InvalidArgumentError);
  assert.throws(() => q.pixelsDataUri(Buffer.alloc(3), 1, 1, { format: 'CMYK' }), /unknown pixel format/);
  assert.throws(() => q.imageSize(42), q.InvalidArgumentError);
});
