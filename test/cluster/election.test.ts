// The controller fence, against a real etcd: the election key's create revision is the epoch,
// and a controller whose lease expired (a pause past its session) has every write refused by
// etcd once another broker is elected, while the new controller's writes commit.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { ControllerElection, NotControllerError } from '../../src/broker/controller/election.js';
import { startEtcd, type RunningEtcd } from './fixtures/etcd.js';

let etcd: RunningEtcd;
const clients: Etcd3[] = [];
const client = () => {
  const c = new Etcd3({ hosts: [etcd.endpoint] });
  clients.push(c);
  return c;
};

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const c of clients) c.close();
  await etcd?.stop();
});

test('a controller paused past its lease is fenced: its writes fail, the new controller\'s commit', async () => {
  const key = '/fence/controller';
  const [c1, c2] = [client(), client()];
  // No keepalive: this lease expires after its TTL, as a paused broker's does.
  const paused = c1.lease(1, { autoKeepAlive: false });
  const id1 = await paused.grant();
  const old = new ControllerElection(c1, key, 1, () => id1);
  assert.equal(await old.campaign(), true);
  const oldEpoch = old.epoch!;
  assert.deepEqual(Object.keys(await old.commit([{ key: '/fence/topics/a', value: 'from 1' }])), ['revision']);

  const live = c2.lease(10);
  const id2 = await live.grant();
  const next = new ControllerElection(c2, key, 2, () => id2);
  assert.equal(await next.campaign(), false, 'not while the first holds the key');
  await assert.rejects(next.commit([{ key: '/fence/topics/a', value: 'from 2' }]), NotControllerError, 'a broker that lost the election cannot write');

  // etcd expires a 1 s lease within about 2 s.
  for (let i = 0; i < 50 && !(await next.campaign()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(next.epoch, 'elected once the first lease expired');
  assert.ok(BigInt(next.epoch) > BigInt(oldEpoch), `epoch ${next.epoch} after ${oldEpoch}`);

  // The ex-controller resumes, still believing it leads: etcd refuses its transaction.
  await assert.rejects(old.commit([{ key: '/fence/topics/a', value: 'stale write from 1' }]), NotControllerError);
  assert.equal(old.epoch, undefined, 'the refused controller knows it is no longer one');
  await next.commit([{ key: '/fence/topics/a', value: 'from 2' }]);
  assert.equal(await c2.get('/fence/topics/a').string(), 'from 2');
  await live.revoke();
});

test('a commit guarded by a key\'s revision is reported stale when the key moved, and writes nothing', async () => {
  const c = client();
  const lease = c.lease(10);
  const id = await lease.grant();
  const e = new ControllerElection(c, '/stale/controller', 7, () => id);
  assert.equal(await e.campaign(), true);
  const first = await e.commit([{ key: '/stale/topics/t', value: 'v1' }], [{ key: '/stale/topics/t', modRevision: '0' }]);
  assert.notEqual(first, 'stale');
  assert.equal(await e.commit([{ key: '/stale/topics/t', value: 'v2' }], [{ key: '/stale/topics/t', modRevision: '0' }]), 'stale');
  assert.equal(await c.get('/stale/topics/t').string(), 'v1');
  assert.ok(e.epoch, 'a stale guard does not cost the election');
  await lease.revoke();
});
