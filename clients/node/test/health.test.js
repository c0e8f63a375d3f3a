// grpc.health.v1 from Node, as load balancers and Kubernetes probes ask it.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const grpc = require('@grpc/grpc-js');
const { call, loadHealth, startServer } = require('./server');

let server;
let health;

before(async () => {
  server = await startServer();
  health = new (loadHealth().Health)(server.addr, grpc.credentials.createInsecure());
});

after(async () => {
  health?.close();
  await server?.stop();
});

for (const service of ['', 'thresher.v1.Thresher']) {
  test(`Check("${service}") is SERVING`, async () => {
    const res = await call(health, 'check', { service });
    assert.equal(res.status, 'SERVING');
  });
}

test('Check of an unknown service is NOT_FOUND', async () => {
  await assert.rejects(call(health, 'check', { service: 'no.such.Service' }), (e) => e.code === grpc.status.NOT_FOUND);
});
