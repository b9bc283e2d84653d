// Differential tests: every session of the catalogue runs against Apache Kafka 4.x (from Maven,
// tools/apache-kafka) and against Samsa, configured alike; their answers must agree field by
// field after normalisation, or the difference must be in an allowlist entry with its reason.
// The last tests check that the catalogue reaches every API version Samsa serves and that no
// allowlist entry has outlived its difference. A report of every difference is written to
// $DIFFERENTIAL_REPORT (default: differential-report.json in the OS temp folder).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import * as generated from '../../src/protocol/generated/index.js';
import { ApiVersions } from '../../src/protocol/generated/index.js';
import { startApacheKafka, KAFKA_VERSION, type RunningApacheKafka } from '../../tools/apache-kafka/kafka.js';
import { allowlist, sessions } from './catalogue/index.js';
import { applyAllowlist, compareTranscripts, normalise } from './compare.js';
import { Transcript, WireConnection, makePeer, jsonReplacer, type BrokerName, type Difference, type Session, type VersionRanges } from './harness.js';

/** Settings both brokers get, so that defaults which differ on purpose do not hide behaviour. */
const COMMON: Record<string, string | number> = {
  'node.id': 1,
  'num.partitions': 1,
  'group.initial.rebalance.delay.ms': 0,
  'offsets.topic.num.partitions': 50,
  'transaction.state.log.num.partitions': 50,
  'message.max.bytes': 1048588,
  // Sessions write records with fixed (old) timestamps: Kafka's first retention pass, 30 s after
  // start, would delete them under the default 7 days; this keeps it out of every run.
  'log.retention.check.interval.ms': 3_600_000,
};

interface Pair {
  kafka: { host: string; port: number; stop(): Promise<void> };
  samsa: { host: string; port: number; stop(): Promise<void> };
  ranges: Record<BrokerName, VersionRanges>;
}

async function versionRanges(host: string, port: number): Promise<VersionRanges> {
  const conn = await WireConnection.open(host, port);
  try {
    const peer = makePeer('kafka', host, port, { kafka: new Map(), samsa: new Map() }, new Transcript(), conn, []);
    const res = await peer.quiet(ApiVersions, 3, { clientSoftwareName: 'differential', clientSoftwareVersion: '1' });
    return new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion] as [number, number]]));
  } finally {
    conn.close();
  }
}

async function startPair(extra: Record<string, string | number>): Promise<Pair> {
  const [kafka, samsa] = await Promise.all([
    startApacheKafka({ config: { ...COMMON, ...extra } }),
    startBroker({ port: 0, config: { ...COMMON, ...extra } }),
  ]);
  const k = { host: kafka.host, port: kafka.port, stop: () => kafka.stop() };
  const s = { host: '127.0.0.1', port: samsa.port, stop: () => samsa.close() };
  return { kafka: k, samsa: s, ranges: { kafka: await versionRanges(k.host, k.port), samsa: await versionRanges(s.host, s.port) } };
}

async function runOn(pair: Pair, which: BrokerName, session: Session): Promise<Transcript> {
  const { host, port } = pair[which];
  const transcript = new Transcript();
  const main = await WireConnection.open(host, port);
  const opened: WireConnection[] = [main];
  try {
    await session.run(makePeer(which, host, port, pair.ranges, transcript, main, opened));
  } catch (e) {
    throw new Error(`session ${session.name} failed on ${which === 'kafka' ? `Apache Kafka ${KAFKA_VERSION}` : 'Samsa'}: ${(e as Error).stack ?? e}`);
  } finally {
    for (const c of opened) c.close();
  }
  return transcript;
}

describe(`differential: Samsa against Apache Kafka ${KAFKA_VERSION}`, () => {
  const pairs = new Map<string, Promise<Pair>>();
  const pair = (kind: 'default' | 'no-auto-create') => {
    let p = pairs.get(kind);
    if (!p) pairs.set(kind, (p = startPair(kind === 'default' ? {} : { 'auto.create.topics.enable': 'false' })));
    return p;
  };
  const all: Difference[] = [];
  /** `apiKey:version` of every request recorded on Samsa. */
  const reached = new Set<string>();
  const ran: string[] = [];
  let samsaRanges: VersionRanges | undefined;
  let kafkaRanges: VersionRanges | undefined;

  before(async () => {
    const p = await pair('default');
    samsaRanges = p.ranges.samsa;
    kafkaRanges = p.ranges.kafka;
  });
  after(async () => {
    for (const p of pairs.values()) {
      const { kafka, samsa } = await p;
      await Promise.all([kafka.stop(), samsa.stop()]);
    }
    const report = process.env.DIFFERENTIAL_REPORT ?? join(tmpdir(), 'differential-report.json');
    const { allowed, unexplained } = applyAllowlist(all, allowlist, ran);
    writeFileSync(report, JSON.stringify({ kafka: KAFKA_VERSION, unexplained, allowed: allowed.map((d) => ({ ...d, reason: allowlist.find((e) => (typeof e.session === 'string' ? e.session === d.session : e.session.test(d.session)) && e.where.test(d.where))?.reason })) }, jsonReplacer, 2));
    console.log(`differential report (${unexplained.length} unexplained, ${allowed.length} allowed differences): ${report}`);
  });

  const names = new Set<string>();
  // DIFFERENTIAL_SESSIONS=regex runs only the matching sessions (the coverage check then fails).
  const only = process.env.DIFFERENTIAL_SESSIONS ? new RegExp(process.env.DIFFERENTIAL_SESSIONS) : undefined;
  for (const session of sessions.filter((s) => !only || only.test(s.name))) {
    assert.ok(!names.has(session.name), `two sessions are named ${session.name}`);
    names.add(session.name);
    test(session.name, async () => {
      const p = await pair(session.brokers ?? 'default');
      const kafka = normalise((await runOn(p, 'kafka', session)).entries);
      const samsaTranscript = await runOn(p, 'samsa', session);
      for (const e of samsaTranscript.entries) if (e.version >= 0) reached.add(`${e.api}:${e.version}`);
      const samsa = normalise(samsaTranscript.entries);
      if (process.env.DIFFERENTIAL_DUMP) writeFileSync(join(process.env.DIFFERENTIAL_DUMP, `${session.name}.json`), JSON.stringify({ kafka, samsa }, jsonReplacer, 1));
      const diffs = compareTranscripts(session.name, kafka, samsa);
      all.push(...diffs);
      ran.push(session.name);
      const { unexplained } = applyAllowlist(diffs, allowlist, [session.name]);
      if (unexplained.length) {
        assert.fail(`${unexplained.length} difference(s) from Apache Kafka ${KAFKA_VERSION} with no allowlist entry:\n${unexplained.map((d) => `  ${d.where}\n    kafka: ${JSON.stringify(d.kafka, jsonReplacer)}\n    samsa: ${JSON.stringify(d.samsa, jsonReplacer)}`).join('\n')}`);
      }
    });
  }

  test('the catalogue sends every API version Samsa serves', () => {
    assert.ok(samsaRanges && kafkaRanges);
    const missing: string[] = [];
    for (const [apiKey, [lo, hi]] of samsaRanges) {
      const name = apiName(apiKey);
      for (let v = lo; v <= hi; v++) if (!reached.has(`${name}:${v}`)) missing.push(`${name} v${v}`);
    }
    assert.deepEqual(missing, [], `no session sent these (add them to test/differential/catalogue)`);
  });

  test('every allowlist entry still matches a difference', () => {
    const { unused } = applyAllowlist(all, allowlist, ran);
    assert.deepEqual(unused.map((e) => `${String(e.session)} ${e.where}: ${e.reason}`), [], 'these allowlist entries no longer match anything: remove them');
  });
});

const NAMES = new Map<number, string>();
for (const v of Object.values(generated)) {
  const d = v as { apiKey?: unknown; name?: unknown; request?: unknown };
  if (d && typeof d === 'object' && typeof d.apiKey === 'number' && typeof d.name === 'string' && d.request) NAMES.set(d.apiKey, d.name);
}
function apiName(apiKey: number): string {
  return NAMES.get(apiKey) ?? `api${apiKey}`;
}
