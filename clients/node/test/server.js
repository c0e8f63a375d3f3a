// Starts the real `thresher` binary for a test file: port 0, the shipped rules/, and waits until
// grpc.health.v1 says SERVING. THRESHER_BIN overrides the binary (default target/debug/thresher
// in the repository); THRESHER_SHARED the corpus (default ../shared beside the repository).
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const REPO = path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.THRESHER_BIN || path.join(REPO, 'target', 'debug', 'thresher');
const SHARED = process.env.THRESHER_SHARED || path.join(REPO, '..', 'shared');
const SEEDS = path.join(SHARED, 'corpus', 'seeds');

// keepCase false: fields in lowerCamelCase, as in proto3 JSON. defaults true: zero values such
// as a span's `start: 0` are present instead of undefined.
const LOAD_OPTIONS = { keepCase: false, enums: String, longs: String, defaults: true, oneofs: true };

function loadThresher() {
  const def = protoLoader.loadSync(['thresher/v1/thresher.proto', 'thresher/v1/admin.proto'], {
    ...LOAD_OPTIONS,
    includeDirs: [path.join(REPO, 'proto')],
  });
  return grpc.loadPackageDefinition(def).thresher.v1;
}

// grpc-js does not bundle the health service; the grpc-health-check package ships the standard
// health.proto.
function loadHealth() {
  const file = require.resolve('grpc-health-check/proto/health/v1/health.proto');
  const def = protoLoader.loadSync(file, LOAD_OPTIONS);
  return grpc.loadPackageDefinition(def).grpc.health.v1;
}

const call = (client, method, request, deadlineMs = 30000) =>
  new Promise((resolve, reject) =>
    client[method](request, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res))),
  );

async function startServer(...extra) {
  if (!fs.existsSync(BIN)) throw new Error(`no server binary at ${BIN}: build it or set THRESHER_BIN`);
  const child = spawn(BIN, ['serve', '--addr', '127.0.0.1:0', '--rules', path.join(REPO, 'rules'), ...extra], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "thresher listening on" line within 30 s')), 30000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const m = /^thresher listening on (\S+:\d+)$/.exec(line.trim());
      m ? resolve(m[1]) : reject(new Error(`unexpected first line: ${line}`));
    });
  });
  const health = new (loadHealth().Health)(addr, grpc.credentials.createInsecure());
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const res = await call(health, 'check', { service: 'thresher.v1.Thresher' }, 2000);
      if (res.status === 'SERVING') break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error('thresher.v1.Thresher not SERVING within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  health.close();
  return {
    addr,
    stop() {
      child.kill('SIGTERM');
      return new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

// For a test file: `before` starts a server and a client made by `makeClient(addr)`, `after`
// closes both. The tests read `.client` of what it returns once `before` has run.
function serving(makeClient) {
  const { before, after } = require('node:test');
  const ctx = {};
  before(async () => {
    ctx.server = await startServer();
    ctx.client = makeClient(ctx.server.addr);
  });
  after(async () => {
    ctx.client?.close();
    await ctx.server?.stop();
  });
  return ctx;
}

const insecure = () => grpc.credentials.createInsecure();

module.exports = { REPO, SEEDS, call, insecure, loadHealth, loadThresher, serving, startServer };
