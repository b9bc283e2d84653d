/**
 * Load generators run by bench/broker.ts in forked worker processes (bench/lib/load-worker.ts):
 *  - produce: pre-encoded Produce frames, several connections × several requests in flight;
 *  - consume: Fetch from offset 0 to the high watermark of a filled topic;
 *  - latency: a fixed-rate producer plus a long-polling consumer in one process (one clock).
 * Every produce response is decoded and checked: errors are counted, never hidden.
 */
import { connect } from 'node:net';
import { Fetch, Produce } from '../../src/protocol/generated/index.js';
import { BASE_TIMESTAMP, LAST_OFFSET_DELTA, MAX_TIMESTAMP, RECORD_BATCH_OVERHEAD, RECORDS_COUNT, writeBatchCrc } from '../../src/protocol/records/index.js';
import { decodeMessage } from '../../src/protocol/runtime/index.js';
import { fetchRequest, fetchResponseHeaderVersion, makeBatch, produceErrors, produceFrame, produceResponseHeaderVersion, walkBatches, type TopicInfo } from './kafka.js';
import { RawConnection } from './raw-client.js';
import { percentiles, type Percentiles } from './stats.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface ProduceTask extends Endpoint {
  kind: 'produce';
  topic: string;
  partitions: number[];
  version: number;
  acks: number;
  recordSize: number;
  recordsPerBatch: number;
  connections: number;
  inFlight: number;
  warmupMs: number;
  durationMs: number;
  /** Fill mode: send this many payload bytes as fast as possible (no warm-up, no time limit). */
  fillBytes?: number;
  /** First slot number, so that several workers spread over the partitions. */
  slotOffset: number;
  /**
   * Each in-flight slot cycles through all partitions (one batch per request, next partition on
   * each re-send) instead of sticking to one: with fewer slots than partitions every partition
   * still gets writes, as a producer with one connection writes all of them.
   */
  rotatePartitions?: boolean;
}

export interface ErrorTally {
  /** error code → responses (partition results) with it. */
  byCode: Record<number, number>;
  samples: string[];
  transport: number;
}

export interface ProduceResult {
  kind: 'produce';
  records: number;
  payloadBytes: number;
  requests: number;
  elapsedMs: number;
  clientCpuMs: number;
  rttMs: Percentiles;
  errors: ErrorTally;
  /** Records acknowledged over the whole run including warm-up (for fill mode). */
  totalRecords: number;
}

export interface ConsumeTask extends Endpoint {
  kind: 'consume';
  topic: TopicInfo;
  partitions: number[];
  version: number;
  connections: number;
  maxBytes: number;
  partitionMaxBytes: number;
  recordSize: number;
}

export interface ConsumeResult {
  kind: 'consume';
  records: number;
  batchBytes: number;
  responseBytes: number;
  fetches: number;
  elapsedMs: number;
  clientCpuMs: number;
  errors: ErrorTally;
}

export interface LatencyTask extends Endpoint {
  kind: 'latency';
  topic: TopicInfo;
  partitions: number[];
  produceVersion: number;
  fetchVersion: number;
  recordSize: number;
  recordsPerSec: number;
  maxBatchRecords: number;
  warmupMs: number;
  durationMs: number;
}

export interface LatencyResult {
  kind: 'latency';
  /** receive time − send time (high-resolution send time carried in the value), ms. */
  e2eMs: Percentiles;
  /** The same from the record timestamps (Date.now() at send, ms resolution). */
  e2eFromTimestampMs: Percentiles;
  produceAckMs: Percentiles;
  sentRecords: number;
  receivedRecords: number;
  achievedRecordsPerSec: number;
  recordsPerBatch: number;
  producerBatches: number;
  maxProduceInFlight: number;
  clientCpuMs: number;
  errors: ErrorTally;
}

/** Reads a plain TCP stream to its end: the machine's loopback ceiling for Node sockets. */
export interface SinkTask extends Endpoint {
  kind: 'sink';
}
export interface SinkResult {
  kind: 'sink';
  bytes: number;
  elapsedMs: number;
  clientCpuMs: number;
}

export type Task = ProduceTask | ConsumeTask | LatencyTask | SinkTask;
export type TaskResult = ProduceResult | ConsumeResult | LatencyResult | SinkResult;

/** Called when the measurement window opens and closes (the parent samples the broker then). */
export type WindowHook = (event: 'window-start' | 'window-end') => void;

function newTally(): ErrorTally {
  return { byCode: {}, samples: [], transport: 0 };
}
function tallyError(t: ErrorTally, code: number, message: string | null): void {
  t.byCode[code] = (t.byCode[code] ?? 0) + 1;
  if (t.samples.length < 5) t.samples.push(`code ${code}${message ? `: ${message}` : ''}`);
}
function tallyTransport(t: ErrorTally, e: Error): void {
  t.transport++;
  if (t.samples.length < 5) t.samples.push(`transport: ${e.message}`);
}
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export async function runTask(task: Task, hook: WindowHook = () => undefined): Promise<TaskResult> {
  switch (task.kind) {
    case 'produce':
      return runProduce(task, hook);
    case 'consume':
      return runConsume(task, hook);
    case 'latency':
      return runLatency(task, hook);
    case 'sink':
      return runSink(task, hook);
  }
}

function runSink(task: SinkTask, hook: WindowHook): Promise<SinkResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: task.host, port: task.port });
    let bytes = 0;
    let t0 = 0;
    let cpu0 = 0;
    socket.once('connect', () => {
      t0 = performance.now();
      cpu0 = cpuMs();
      hook('window-start');
    });
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.once('error', reject);
    socket.once('end', () => {
      hook('window-end');
      resolve({ kind: 'sink', bytes, elapsedMs: performance.now() - t0, clientCpuMs: cpuMs() - cpu0 });
      socket.destroy();
    });
  });
}

async function runProduce(task: ProduceTask, hook: WindowHook): Promise<ProduceResult> {
  const conns = await Promise.all(Array.from({ length: task.connections }, () => RawConnection.connect(task.host, task.port)));
  const hv = produceResponseHeaderVersion(task.version);
  // The batch and the whole request frame are built once per partition...
  const frames = new Map<number, Buffer>();
  for (const p of task.partitions) frames.set(p, produceFrame(task.version, task.topic, p, makeBatch(task.recordsPerBatch, task.recordSize), task.acks));
  const errors = newTally();
  const fill = task.fillBytes !== undefined;
  let okRecords = 0;
  let okRequests = 0;
  let sentPayload = 0;
  let measuring = fill;
  let stopping = false;
  const rtts: number[] = [];
  let window = { records: 0, requests: 0, t: performance.now(), cpu: cpuMs() };
  let result: { records: number; requests: number; elapsedMs: number; cpu: number } | undefined;

  const slotsLive = { n: 0 };
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));

  function send(conn: RawConnection, slotFrames: Buffer[], turn: number): void {
    const frame = slotFrames[turn % slotFrames.length]!;
    if (stopping || (fill && sentPayload >= task.fillBytes!)) {
      if (--slotsLive.n === 0) finish();
      return;
    }
    sentPayload += task.recordsPerBatch * task.recordSize;
    const sentAt = performance.now();
    conn.sendFrame(
      frame,
      hv,
      (body, receivedAt) => {
        let failed = false;
        try {
          const res = decodeMessage(Produce.response, body, task.version);
          for (const e of produceErrors(res)) {
            failed = true;
            tallyError(errors, e.code, e.message);
          }
        } catch (e) {
          failed = true;
          tallyError(errors, -1, `undecodable response: ${(e as Error).message}`);
        }
        if (!failed) {
          okRecords += task.recordsPerBatch;
          okRequests++;
          if (measuring) rtts.push(receivedAt - sentAt);
        }
        send(conn, slotFrames, turn + 1);
      },
      (e) => {
        tallyTransport(errors, e);
        if (--slotsLive.n === 0) finish();
      },
    );
  }

  // ...and copied once per in-flight slot: a frame is re-sent (only its correlation id patched)
  // when its previous response arrived, so a queued socket write never sees a patch.
  const start = performance.now();
  slotsLive.n = conns.length * task.inFlight;
  for (let c = 0; c < conns.length; c++) {
    for (let k = 0; k < task.inFlight; k++) {
      const slot = task.slotOffset + c * task.inFlight + k;
      const n = task.rotatePartitions ? task.partitions.length : 1;
      const slotFrames = Array.from({ length: n }, (_, j) => Buffer.from(frames.get(task.partitions[(slot + j) % task.partitions.length]!)!));
      send(conns[c]!, slotFrames, 0);
    }
  }
  if (!fill) {
    setTimeout(() => {
      window = { records: okRecords, requests: okRequests, t: performance.now(), cpu: cpuMs() };
      measuring = true;
      hook('window-start');
      setTimeout(() => {
        const now = performance.now();
        result = { records: okRecords - window.records, requests: okRequests - window.requests, elapsedMs: now - window.t, cpu: cpuMs() - window.cpu };
        measuring = false;
        stopping = true;
        hook('window-end');
      }, task.durationMs);
    }, task.warmupMs);
  } else {
    hook('window-start');
  }
  await finished;
  if (fill) {
    const now = performance.now();
    result = { records: okRecords, requests: okRequests, elapsedMs: now - start, cpu: cpuMs() - window.cpu };
    hook('window-end');
  }
  for (const c of conns) c.close();
  const r = result ?? { records: 0, requests: 0, elapsedMs: performance.now() - window.t, cpu: cpuMs() - window.cpu };
  return {
    kind: 'produce',
    records: r.records,
    payloadBytes: r.records * task.recordSize,
    requests: r.requests,
    elapsedMs: r.elapsedMs,
    clientCpuMs: r.cpu,
    rttMs: percentiles(rtts),
    errors,
    totalRecords: okRecords,
  };
}

async function runConsume(task: ConsumeTask, hook: WindowHook): Promise<ConsumeResult> {
  const conns = await Promise.all(Array.from({ length: task.connections }, () => RawConnection.connect(task.host, task.port)));
  for (const c of conns) c.reuseResponseBuffer = true;
  const hv = fetchResponseHeaderVersion(task.version);
  const errors = newTally();
  let records = 0;
  let batchBytes = 0;
  let fetches = 0;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  hook('window-start');
  await Promise.all(
    conns.map(async (conn, ci) => {
      const mine = task.partitions.filter((_, i) => i % conns.length === ci);
      const offsets = new Map<number, bigint>(mine.map((p) => [p, 0n]));
      const hw = new Map<number, bigint>(mine.map((p) => [p, -1n]));
      let emptyRounds = 0;
      for (;;) {
        const todo = mine.filter((p) => hw.get(p)! < 0n || offsets.get(p)! < hw.get(p)!);
        if (todo.length === 0) return;
        const req = fetchRequest(task.version, task.topic, todo.map((p) => ({ partition: p, fetchOffset: offsets.get(p)! })), {
          maxWaitMs: 500,
          minBytes: 1,
          maxBytes: task.maxBytes,
          partitionMaxBytes: task.partitionMaxBytes,
        });
        const frame = RawConnection.encodeRequest(Fetch, task.version, req);
        // The body lives in the connection's reused buffer: everything is read inside the callback.
        const outcome = await new Promise<'ok' | 'progress' | 'error'>((res, rej) =>
          conn.sendFrame(
            frame,
            hv,
            (body) => {
              let r;
              try {
                r = decodeMessage(Fetch.response, body, task.version);
              } catch (e) {
                rej(e as Error);
                return;
              }
              if (r.errorCode !== 0) {
                tallyError(errors, r.errorCode, 'fetch');
                res('error');
                return;
              }
              let progress = false;
              for (const t of r.responses) {
                for (const p of t.partitions) {
                  if (p.errorCode !== 0) {
                    tallyError(errors, p.errorCode, `partition ${p.partitionIndex}`);
                    hw.set(p.partitionIndex, 0n); // give up on it
                    continue;
                  }
                  hw.set(p.partitionIndex, p.highWatermark);
                  if (!p.records || p.records.length === 0) continue;
                  const w = walkBatches(p.records);
                  if (w.batches > 0) {
                    records += w.records;
                    batchBytes += w.bytes;
                    offsets.set(p.partitionIndex, w.nextOffset);
                    progress = true;
                  }
                }
              }
              res(progress ? 'progress' : 'ok');
            },
            rej,
          ),
        );
        fetches++;
        if (outcome === 'error') return;
        const progressed = outcome === 'progress';
        if (!progressed && ++emptyRounds > 3) {
          tallyError(errors, -1, 'no progress below the high watermark');
          return;
        }
        if (progressed) emptyRounds = 0;
      }
    }),
  ).catch((e) => tallyTransport(errors, e as Error));
  const elapsedMs = performance.now() - t0;
  hook('window-end');
  const responseBytes = conns.reduce((s, c) => s + c.bytesReceived, 0);
  for (const c of conns) c.close();
  return { kind: 'consume', records, batchBytes, responseBytes, fetches, elapsedMs, clientCpuMs: cpuMs() - cpu0, errors };
}

async function runLatency(task: LatencyTask, hook: WindowHook): Promise<LatencyResult> {
  const producer = await RawConnection.connect(task.host, task.port);
  const consumer = await RawConnection.connect(task.host, task.port);
  consumer.reuseResponseBuffer = true;
  const phv = produceResponseHeaderVersion(task.produceVersion);
  const fhv = fetchResponseHeaderVersion(task.fetchVersion);
  const errors = newTally();
  // Fixed-size batches, about one per millisecond (like linger.ms≈1): one pre-encoded frame per
  // partition; per send only the copy's correlation id, timestamps, the first record's send time
  // and the batch CRC are patched. The consumer reads batch headers and the first record only,
  // so neither side decodes every record (the generator must not be the bottleneck).
  const perBatch = Math.max(1, Math.min(task.maxBatchRecords, Math.round(task.recordsPerSec / 1000)));
  const templates = task.partitions.map((p) => {
    const batch = makeBatch(perBatch, task.recordSize);
    const frame = produceFrame(task.produceVersion, task.topic.name, p, batch, 1);
    const batchAt = frame.indexOf(batch.subarray(0, RECORD_BATCH_OVERHEAD + 8));
    if (batchAt < 0) throw new Error('batch not found in its frame');
    return { frame, batchAt, valueAt: batchAt + firstValueOffset(batch, 0) };
  });
  const e2e: number[] = [];
  const e2eTs: number[] = [];
  const acks: number[] = [];
  let sent = 0;
  let received = 0;
  let batches = 0;
  let produceInFlight = 0;
  let maxInFlight = 0;
  let partitionRr = 0;

  const t0 = performance.now();
  const measureFrom = t0 + task.warmupMs;
  const measureTo = measureFrom + task.durationMs;
  let cpu0 = cpuMs();
  let cpu = 0;
  let windowOpen = false;
  let producing = true;

  const produced = new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (!windowOpen && now >= measureFrom) {
        windowOpen = true;
        cpu0 = cpuMs();
        hook('window-start');
      }
      if (now >= measureTo) {
        producing = false;
        cpu = cpuMs() - cpu0;
        hook('window-end');
        resolve();
        return;
      }
      let due = Math.floor(((now - t0) * task.recordsPerSec) / 1000) - sent;
      while (due >= perBatch) {
        const t = templates[partitionRr++ % templates.length]!;
        const frame = Buffer.from(t.frame);
        const sentAt = performance.now();
        const wall = BigInt(Date.now());
        frame.writeBigInt64BE(wall, t.batchAt + BASE_TIMESTAMP);
        frame.writeBigInt64BE(wall, t.batchAt + MAX_TIMESTAMP);
        frame.writeDoubleLE(sentAt, t.valueAt);
        writeBatchCrc(frame, t.batchAt);
        produceInFlight++;
        if (produceInFlight > maxInFlight) maxInFlight = produceInFlight;
        producer.sendFrame(
          frame,
          phv,
          (body, receivedAt) => {
            produceInFlight--;
            if (sentAt >= measureFrom) acks.push(receivedAt - sentAt);
            try {
              for (const e of produceErrors(decodeMessage(Produce.response, body, task.produceVersion))) tallyError(errors, e.code, e.message);
            } catch (e) {
              tallyError(errors, -1, (e as Error).message);
            }
          },
          (e) => {
            produceInFlight--;
            tallyTransport(errors, e);
          },
        );
        sent += perBatch;
        batches++;
        due -= perBatch;
      }
      setTimeout(tick, 1);
    };
    tick();
  });

  // Consumer: long polls (maxWaitMs 500, minBytes 1) over all partitions, one fetch in flight.
  const offsets = new Map<number, bigint>(task.partitions.map((p) => [p, 0n]));
  const consumed = (async () => {
    let drainDeadline = Infinity;
    while (received < sent || producing) {
      if (!producing && drainDeadline === Infinity) drainDeadline = performance.now() + 5000;
      if (performance.now() > drainDeadline) {
        tallyError(errors, -1, `consumer missed ${sent - received} records`);
        return;
      }
      const req = fetchRequest(task.fetchVersion, task.topic, task.partitions.map((p) => ({ partition: p, fetchOffset: offsets.get(p)! })), {
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: 50 * 1024 * 1024,
        partitionMaxBytes: 8 * 1024 * 1024,
      });
      const frame = RawConnection.encodeRequest(Fetch, task.fetchVersion, req);
      await new Promise<void>((res, rej) =>
        consumer.sendFrame(
          frame,
          fhv,
          (body, receivedAt) => {
            const wallNow = Date.now();
            try {
              const r = decodeMessage(Fetch.response, body, task.fetchVersion);
              for (const t of r.responses) {
                for (const p of t.partitions) {
                  if (p.errorCode !== 0) {
                    tallyError(errors, p.errorCode, `fetch partition ${p.partitionIndex}`);
                    continue;
                  }
                  const recs = p.records;
                  if (!recs || recs.length === 0) continue;
                  let at = 0;
                  while (recs.length - at >= RECORD_BATCH_OVERHEAD) {
                    const size = 12 + recs.readInt32BE(at + 8);
                    if (at + size > recs.length) break;
                    const n = recs.readInt32BE(at + RECORDS_COUNT);
                    const sentAt = recs.readDoubleLE(at + firstValueOffset(recs, at));
                    if (sentAt >= measureFrom && sentAt < measureTo) {
                      const lat = receivedAt - sentAt;
                      const latTs = wallNow - Number(recs.readBigInt64BE(at + BASE_TIMESTAMP));
                      // Every record of a batch was sent at the batch's send time.
                      for (let i = 0; i < n; i++) {
                        e2e.push(lat);
                        e2eTs.push(latTs);
                      }
                    }
                    received += n;
                    offsets.set(p.partitionIndex, recs.readBigInt64BE(at) + BigInt(recs.readInt32BE(at + LAST_OFFSET_DELTA)) + 1n);
                    at += size;
                  }
                }
              }
              res();
            } catch (e) {
              rej(e as Error);
            }
          },
          rej,
        ),
      );
    }
  })().catch((e) => tallyTransport(errors, e as Error));

  await produced;
  await consumed;
  producer.close();
  consumer.close();
  return {
    kind: 'latency',
    e2eMs: percentiles(e2e),
    e2eFromTimestampMs: percentiles(e2eTs),
    produceAckMs: percentiles(acks),
    sentRecords: sent,
    receivedRecords: received,
    achievedRecordsPerSec: (e2e.length * 1000) / task.durationMs,
    recordsPerBatch: perBatch,
    producerBatches: batches,
    maxProduceInFlight: maxInFlight,
    clientCpuMs: cpu,
    errors,
  };
}

/** Offset (from the batch start) of the first record's value bytes in an uncompressed batch. */
function firstValueOffset(buf: Buffer, batchAt: number): number {
  let p = batchAt + RECORD_BATCH_OVERHEAD;
  const skipVarint = () => {
    while (buf[p++]! & 0x80);
  };
  const readVarint = () => {
    let u = 0;
    let shift = 0;
    for (;;) {
      const b = buf[p++]!;
      u |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return (u >>> 1) ^ -(u & 1);
  };
  skipVarint(); // record length
  p++; // attributes
  skipVarint(); // timestampDelta
  skipVarint(); // offsetDelta
  const keyLength = readVarint();
  if (keyLength > 0) p += keyLength;
  skipVarint(); // value length
  return p - batchAt;
}
