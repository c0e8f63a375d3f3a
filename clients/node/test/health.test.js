// grpc.health.v1 from Node, as load balancers and Kubernetes probes ask it.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const grpc = require('@grpc/grpc-js');
const { call, insecure, loadHealth, serving } = require('./server');

const health = serving((addr) => new (loadHealth().Health)(addr, insecure()));

for (const service of ['', 'thresher.v1.Thresher']) {
  test(`Check("${service}") is SERVING`, async () => {
    const res = await call(health.client, 'check', { service });
    assert.equal(res.status, 'SERVING');
  });
}

test('Check of an unknown service is NOT_FOUND', async () => {
  await assert.rejects(call(health.client, 'check', { service: 'no.such.Service' }), (e) => e.code === grpc.status.NOT_FOUND);
});
