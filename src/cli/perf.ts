/**
 * `samsa perf produce|consume`: load generation with pre-encoded Produce frames (one batch per
 * request, encoded once per in-flight slot, only the correlation id patched), several
 * connections per leader, optional rate limit, live progress, latency percentiles.
 * `samsa perf e2e`: end-to-end latency (producer send to consumer receipt) at a fixed rate.
 */
import { Produce } from '../client/protocol.js';
import { decodeMessage, responseHeaderVersion, type ApiDescriptor } from '../protocol/runtime/index.js';
import { buildRecordBatch } from '../protocol/records/index.js';
import { Admin, Connection, Consumer, KafkaError, Producer, compressionCode, errorName, type CompressionName } from '../client/index.js';
import { clientOptions, type ResolvedCluster } from './settings.js';
import { toJson } from './output.js';

interface PerfProduceOpts {
  records: number;
  recordSize: number;
  rate?: number;
  batch: number;
  acks: string;
  compression: CompressionName;
  partitions: number;
  connections: number;
  inFlight: number;
  json?: boolean;
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export async function perfProduce(topic: string, o: PerfProduceOpts, cluster: ResolvedCluster): Promise<number> {
  const admin = new Admin(clientOptions(cluster));
  const connections: Connection[] = [];
  try {
    let meta = await admin.describeTopics([topic]);
    if (meta[0]!.errorCode !== 0) {
      const [r] = await admin.createTopics([{ name: topic, partitions: o.partitions }]);
      if (r!.errorCode && r!.error !== 'TOPIC_ALREADY_EXISTS') throw new KafkaError(r!.errorCode, `create ${topic}`, r!.errorMessage);
      meta = await admin.describeTopics([topic]);
    }
    const partitions = meta[0]!.partitions;
    const acks = o.acks === 'all' ? -1 : Number(o.acks);
    const value = Buffer.alloc(o.recordSize, 'x');
    for (let i = 0; i < value.length; i++) value[i] = 97 + ((i * 7) % 26);
    const records = Array.from({ length: o.batch }, () => ({ key: null, value }));
    const batchBytes = o.batch * o.recordSize;
    // Slots: (leader, connection, in-flight index); each cycles through the leader's partitions.
    const byLeader = new Map<number, number[]>();
    for (const p of partitions) {
      let l = byLeader.get(p.leader);
      if (!l) byLeader.set(p.leader, (l = []));
      l.push(p.partition);
    }
    interface Slot {
      conn: Connection;
      frames: Buffer[];
      next: number;
    }
    const slots: Slot[] = [];
    for (const [leader, parts] of byLeader) {
      const info = admin.cluster.brokers.get(leader)!;
      for (let c = 0; c < o.connections; c++) {
        const conn = await Connection.connect({ host: info.host, port: info.port, clientId: 'samsa-perf' });
        connections.push(conn);
        const version = conn.versionOf(Produce);
        for (let s = 0; s < o.inFlight; s++) {
          const frames = parts.map((partition) =>
            conn.encode(Produce, version, {
              transactionalId: null,
              acks,
              timeoutMs: 30_000,
              topicData: [{ name: topic, partitionData: [{ index: partition, records: buildRecordBatch(records, { compression: compressionCode(o.compression) }) }] }],
            }),
          );
          slots.push({ conn, frames, next: (s + c) % parts.length });
        }
      }
    }
    const version = connections[0]!.versionOf(Produce);
    const headerVersion = responseHeaderVersion(Produce as ApiDescriptor, version);
    const totalRequests = Math.ceil(o.records / o.batch);
    const latencies = new Float64Array(totalRequests);
    let issued = 0;
    let completed = 0;
    let errors = 0;
    let firstError = '';
    const start = performance.now();
    let lastReport = start;
    let lastCompleted = 0;
    const progress = setInterval(() => {
      const now = performance.now();
      const recs = (completed - lastCompleted) * o.batch;
      process.stderr.write(`  ${fmt(completed * o.batch, 0)} records, ${fmt(recs / ((now - lastReport) / 1000), 0)} rec/s, ${fmt((recs * o.recordSize) / ((now - lastReport) / 1000) / 1048576)} MiB/s\n`);
      lastReport = now;
      lastCompleted = completed;
    }, 1000);
    progress.unref();

    await new Promise<void>((resolve, reject) => {
      const pump = (slot: Slot) => {
        if (issued >= totalRequests) {
          if (completed >= totalRequests) resolve();
          return;
        }
        if (o.rate) {
          const due = start + ((issued * o.batch) / o.rate) * 1000;
          const wait = due - performance.now();
          if (wait > 1) {
            setTimeout(() => pump(slot), wait);
            return;
          }
        }
        const id = issued++;
        const frame = slot.frames[slot.next]!;
        slot.next = (slot.next + 1) % slot.frames.length;
        const sentAt = performance.now();
        if (acks === 0) {
          // acks=0: no response; pace on the socket's buffer.
          slot.conn.sendFrameNoResponse(frame);
          latencies[id] = 0;
          completed++;
          if (slot.conn.congested) void slot.conn.waitDrain().then(() => pump(slot));
          else setImmediate(() => pump(slot));
          return;
        }
        slot.conn.sendFrameCb(
          frame,
          headerVersion,
          (body) => {
            latencies[id] = performance.now() - sentAt;
            try {
              const res = decodeMessage(Produce.response, body, version);
              for (const t of res.responses)
                for (const p of t.partitionResponses)
                  if (p.errorCode) {
                    errors++;
                    firstError ||= errorName(p.errorCode);
                  }
            } catch (e) {
              errors++;
              firstError ||= (e as Error).message;
            }
            completed++;
            pump(slot);
          },
          (e) => reject(e),
        );
      };
      for (const s of slots) pump(s);
    });
    clearInterval(progress);
    const elapsed = (performance.now() - start) / 1000;
    const sent = Math.min(o.records, totalRequests * o.batch);
    const sorted = latencies.slice(0, completed).sort();
    const summary = {
      topic,
      records: totalRequests * o.batch,
      recordSize: o.recordSize,
      batch: o.batch,
      acks: o.acks,
      compression: o.compression,
      partitions: partitions.length,
      connections: connections.length,
      inFlightPerConnection: o.inFlight,
      seconds: Number(elapsed.toFixed(3)),
      recordsPerSec: Math.round((totalRequests * o.batch) / elapsed),
      mibPerSec: Number(((totalRequests * batchBytes) / elapsed / 1048576).toFixed(2)),
      latencyMs: acks === 0 ? null : { p50: +percentile(sorted, 50).toFixed(2), p95: +percentile(sorted, 95).toFixed(2), p99: +percentile(sorted, 99).toFixed(2), max: +(sorted[sorted.length - 1] ?? 0).toFixed(2) },
      errors,
      firstError: firstError || null,
    };
    void sent;
    if (o.json) process.stdout.write(toJson(summary) + '\n');
    else {
      process.stdout.write(
        `${fmt(summary.records, 0)} records (${o.recordSize} B) in ${fmt(elapsed, 2)} s: ${fmt(summary.recordsPerSec, 0)} rec/s, ${fmt(summary.mibPerSec, 2)} MiB/s` +
          (summary.latencyMs ? `; request latency p50 ${summary.latencyMs.p50} ms, p95 ${summary.latencyMs.p95} ms, p99 ${summary.latencyMs.p99} ms, max ${summary.latencyMs.max} ms` : '') +
          (errors ? `; ${errors} errors (first: ${firstError})` : '') +
          '\n',
      );
    }
    return errors ? 1 : 0;
  } finally {
    for (const c of connections) c.close();
    await admin.close();
  }
}

export async function perfConsume(topic: string, o: { records?: number; json?: boolean }, cluster: ResolvedCluster): Promise<number> {
  const consumer = new Consumer(clientOptions(cluster), { maxWaitMs: 100, partitionMaxBytes: 8 * 1048576 });
  const admin = new Admin(consumer.cluster);
  try {
    const offs = await admin.topicOffsets([topic]);
    const target = o.records ?? Number(offs.reduce((s, x) => s + (x.end - x.start), 0n));
    consumer.assign(offs.map((x) => ({ topic, partition: x.partition, offset: x.start })));
    const ends = new Map(offs.map((x) => [x.partition, x.end]));
    let count = 0;
    let bytes = 0;
    const start = performance.now();
    let last = start;
    let lastCount = 0;
    while (count < target) {
      const recs = await consumer.poll(500);
      for (const r of recs) bytes += (r.value?.length ?? 0) + (r.key?.length ?? 0);
      count += recs.length;
      const now = performance.now();
      if (now - last > 1000) {
        process.stderr.write(`  ${fmt(count, 0)} records, ${fmt(((count - lastCount) * 1000) / (now - last), 0)} rec/s\n`);
        last = now;
        lastCount = count;
      }
      if (!recs.length && o.records === undefined && offs.every((x) => (consumer.position(topic, x.partition) ?? -1n) >= ends.get(x.partition)!)) break;
    }
    const elapsed = (performance.now() - start) / 1000;
    const summary = { topic, records: count, bytes, seconds: Number(elapsed.toFixed(3)), recordsPerSec: Math.round(count / elapsed), mibPerSec: Number((bytes / elapsed / 1048576).toFixed(2)) };
    if (o.json) process.stdout.write(toJson(summary) + '\n');
    else process.stdout.write(`${fmt(count, 0)} records in ${fmt(elapsed, 2)} s: ${fmt(summary.recordsPerSec, 0)} rec/s, ${fmt(summary.mibPerSec, 2)} MiB/s\n`);
    return 0;
  } finally {
    await consumer.close();
  }
}

interface PerfE2eOpts {
  records: number;
  recordSize: number;
  rate: number;
  acks: string;
  compression: CompressionName;
  partitions: number;
  json?: boolean;
}

/**
 * End-to-end latency: a producer sends `records` at `rate` records/s, each value starting with
 * its send time (process.hrtime, 8 bytes, big-endian ns) and its sequence number (4 bytes); a
 * consumer assigned every partition from the current end long-polls them and records
 * receive - send. Same process, so both clocks are one.
 */
export async function perfE2e(topic: string, o: PerfE2eOpts, cluster: ResolvedCluster): Promise<number> {
  if (o.recordSize < 12) throw new Error('--record-size must be at least 12 bytes (send time and sequence number)');
  if (!(o.rate > 0)) throw new Error('--rate must be positive');
  const admin = new Admin(clientOptions(cluster));
  const acks = o.acks === 'all' ? -1 : Number(o.acks);
  const producer = new Producer(admin.cluster, { acks, lingerMs: 0, compression: o.compression });
  const consumer = new Consumer(clientOptions(cluster), { maxWaitMs: 500, minBytes: 1, partitionMaxBytes: 8 * 1048576 });
  try {
    let meta = await admin.describeTopics([topic]);
    if (meta[0]!.errorCode !== 0) {
      const [r] = await admin.createTopics([{ name: topic, partitions: o.partitions }]);
      if (r!.errorCode && r!.error !== 'TOPIC_ALREADY_EXISTS') throw new KafkaError(r!.errorCode, `create ${topic}`, r!.errorMessage);
      meta = await admin.describeTopics([topic]);
    }
    const offs = await admin.topicOffsets([topic]);
    consumer.assign(offs.map((x) => ({ topic, partition: x.partition, offset: x.end })));

    const latencies = new Float64Array(o.records);
    const seen = new Uint8Array(o.records);
    let received = 0;
    let duplicates = 0;
    let sent = 0;
    let acked = 0;
    let errors = 0;
    let firstError = '';
    const filler = Buffer.alloc(o.recordSize - 12);
    for (let i = 0; i < filler.length; i++) filler[i] = 97 + ((i * 7) % 26);
    const done = {
      resolve: () => void acked++,
      reject: (e: Error) => {
        errors++;
        firstError ||= e.message;
      },
    };
    const start = performance.now();
    let lastReport = start;
    let lastReceived = 0;
    const progress = setInterval(() => {
      const now = performance.now();
      const sorted = latencies.slice(0, received).sort();
      process.stderr.write(
        `  ${fmt(sent, 0)} sent, ${fmt(received, 0)} received, ${fmt(((received - lastReceived) * 1000) / (now - lastReport), 0)} rec/s, p50 ${fmt(percentile(sorted, 50), 2)} ms, p99 ${fmt(percentile(sorted, 99), 2)} ms\n`,
      );
      lastReport = now;
      lastReceived = received;
    }, 1000);
    progress.unref();

    // Producer: at each tick, send every record due by now at `rate`.
    const producing = new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(o.records, Math.floor(((performance.now() - start) / 1000) * o.rate) + 1);
        while (sent < due) {
          const value = Buffer.allocUnsafe(o.recordSize);
          value.writeBigInt64BE(process.hrtime.bigint(), 0);
          value.writeUInt32BE(sent, 8);
          filler.copy(value, 12);
          producer.enqueue({ topic, value }, done);
          sent++;
        }
        if (sent >= o.records) resolve();
        else setTimeout(tick, Math.max(1, Math.min(10, (sent * 1000) / o.rate - (performance.now() - start))));
      };
      tick();
    }).then(() => producer.flush());

    // Consumer: until every record arrived, or 10 s (2 s after errors) of silence once the producer is done.
    let producerDone = false;
    void producing.then(() => (producerDone = true), () => (producerDone = true));
    let lastArrival = performance.now();
    while (received < o.records) {
      const recs = await consumer.poll(500);
      const now = process.hrtime.bigint();
      for (const r of recs) {
        const v = r.value;
        if (!v || v.length < 12) continue;
        const n = v.readUInt32BE(8);
        if (n >= o.records) continue;
        if (seen[n]) {
          duplicates++;
          continue;
        }
        seen[n] = 1;
        latencies[received++] = Number(now - v.readBigInt64BE(0)) / 1e6;
      }
      if (recs.length) lastArrival = performance.now();
      else if (producerDone && performance.now() - lastArrival > (errors > 0 ? 2_000 : 10_000)) break;
    }
    await producing.catch((e) => {
      errors++;
      firstError ||= (e as Error).message;
    });
    clearInterval(progress);
    const elapsed = (performance.now() - start) / 1000;
    const sorted = latencies.slice(0, received).sort();
    const p = (q: number) => +percentile(sorted, q).toFixed(3);
    const summary = {
      topic,
      records: o.records,
      recordSize: o.recordSize,
      rate: o.rate,
      acks: o.acks,
      compression: o.compression,
      partitions: meta[0]!.partitions.length,
      sent,
      acknowledged: acks === 0 ? null : acked,
      received,
      missing: o.records - received,
      duplicates,
      seconds: Number(elapsed.toFixed(3)),
      recordsPerSec: Math.round(received / elapsed),
      mibPerSec: Number(((received * o.recordSize) / elapsed / 1048576).toFixed(2)),
      latencyMs: { p50: p(50), p95: p(95), p99: p(99), p999: p(99.9), max: +(sorted[sorted.length - 1] ?? 0).toFixed(3) },
      errors,
      firstError: firstError || null,
    };
    if (o.json) process.stdout.write(toJson(summary) + '\n');
    else {
      const l = summary.latencyMs;
      process.stdout.write(
        `${fmt(received, 0)} of ${fmt(o.records, 0)} records (${o.recordSize} B) received in ${fmt(elapsed, 2)} s: ${fmt(summary.recordsPerSec, 0)} rec/s, ${fmt(summary.mibPerSec, 2)} MiB/s; ` +
          `end-to-end latency p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, p99.9 ${l.p999} ms, max ${l.max} ms` +
          (errors ? `; ${errors} errors (first: ${firstError})` : '') +
          '\n',
      );
    }
    return errors || received < o.records ? 1 : 0;
  } finally {
    await consumer.close().catch(() => undefined);
    await producer.close().catch(() => undefined);
    await admin.close();
  }
}
