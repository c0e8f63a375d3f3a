// Process from Node: spans in UTF-16 code units slice JavaScript strings.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const { SEEDS, call, insecure, loadThresher, serving } = require('./server');

const thresher = serving((addr) => new (loadThresher().Thresher)(addr, insecure()));

const process_ = (id, text, offsetEncoding = 'OFFSET_ENCODING_UTF16') =>
  call(thresher.client, 'process', { document: { id, text }, offsetEncoding });

test('a Press TV seed article: outlet, and removal spans slice the text in UTF-16', async () => {
  const name = '004_3e663a1b23f36f3e.txt';
  const text = fs.readFileSync(path.join(SEEDS, name), 'utf8');
  const res = await process_(name, text);
  assert.equal(res.documentId, name);
  assert.equal(res.outlet.id, 'press-tv');
  assert.ok(res.ruleset.version);
  assert.ok(res.removals.length > 0, 'the seed has boilerplate the rules remove');
  for (const r of res.removals) assert.equal(text.slice(r.span.start, r.span.end), r.text, r.kind);
  for (const c of res.claims) assert.equal(text.slice(c.span.start, c.span.end), c.text);
});

test('characters outside the BMP count two UTF-16 units', async () => {
  // The emoji is one code point but two UTF-16 units: only UTF-16 offsets slice correctly here.
  const text = 'Breaking 🛰️ news\nPhoto: AFP\nThe talks ended.';
  const res = await process_('emoji', text);
  const caption = res.removals.find((r) => r.kind === 'caption');
  assert.ok(caption, JSON.stringify(res.removals));
  assert.equal(caption.text, 'Photo: AFP');
  assert.equal(text.slice(caption.span.start, caption.span.end), 'Photo: AFP');
  const inCodePoints = await process_('emoji', text, 'OFFSET_ENCODING_CODE_POINTS');
  assert.equal(inCodePoints.removals.find((r) => r.kind === 'caption').span.start, caption.span.start - 1);
});

test('a document without text content still gets an answer naming it', async () => {
  const res = await process_('empty', '');
  assert.equal(res.documentId, 'empty');
  assert.equal(res.cleanText, '');
  assert.deepEqual(res.removals, []);
});

test('a request without a document is INVALID_ARGUMENT', async () => {
  await assert.rejects(call(thresher.client, 'process', {}), (e) => e.code === grpc.status.INVALID_ARGUMENT);
});
