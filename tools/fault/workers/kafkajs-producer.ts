/**
 * A KafkaJS producer for the fault harness: one send at a time, each of one record to one
 * partition, the partitions in turn, at about `rate` records per second until SIGTERM, recording
 * each record as history JSON lines on stdout. Sequential because KafkaJS's idempotent producer
 * mis-numbers concurrent sends (tulios/kafkajs#1005: they share sequence numbers, so the broker
 * rightly takes them for retries of one batch). One partition per send because a send to several
 * partitions, retried after a leader moved, sends again the partitions another broker had
 * already appended, under new sequence numbers, and resolves with the first answer: a
 * duplicate no broker can detect (seen in a 300 s isolate-leader run: one record at two offsets,
 * consecutive sequences of one producer id). `--transactional`: groups 2-4 sends in a transaction, commits
 * 3 in 4 and aborts the rest. Args: bootstrap topic partitions rate name acks [--transactional].
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Op } from '../history.js';

const [bootstrap, topic, partitionsArg, rateArg, name, acksArg, mode] = process.argv.slice(2) as [string, string, string, string, string, string, string?];
const partitions = Number(partitionsArg);
const rate = Number(rateArg);
const acks = Number(acksArg);
const transactional = mode === '--transactional';
const idempotent = acks === -1;

const emit = (op: Op) => process.stdout.write(`${JSON.stringify(op)}\n`);
const describe = (e: unknown) => {
  const err = e as { name?: string; message?: string; type?: string; cause?: { type?: string; message?: string } };
  return `${err.name ?? 'Error'}: ${err.cause?.type ?? err.type ?? ''} ${err.message ?? ''}`.trim();
};

const kafka = new Kafka({ clientId: name, brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, requestTimeout: 10_000, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 } });
const makeProducer = (): Producer =>
  kafka.producer({
    idempotent: idempotent || transactional,
    maxInFlightRequests: idempotent || transactional ? 1 : 5,
    allowAutoTopicCreation: false,
    ...(transactional ? { transactionalId: name, transactionTimeout: 10_000 } : {}),
  });
let producer = makeProducer();

/**
 * After a send failed, KafkaJS would number the next batch with the failed one's sequence, so a
 * broker that did append the failed batch answers the new one as its duplicate (Kafka does the
 * same; the Java client bumps its epoch here, KIP-360). A new producer gets a new producer id.
 */
async function replaceProducer(): Promise<void> {
  await producer.disconnect().catch(() => undefined);
  producer = makeProducer();
  await connect();
}

let stopping = false;
process.on('SIGTERM', () => (stopping = true));
let seq = 0;
let nextPartition = 0;

async function connect(): Promise<void> {
  for (;;) {
    try {
      await producer.connect();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** One send of one record to the next partition; one history entry per record. */
async function sendOne(): Promise<void> {
  const records = [{ partition: nextPartition++ % partitions, value: `${name}-${seq++}` }];
  for (const r of records) emit({ f: 'send', p: name, type: 'invoke', t: Date.now(), ...r, idempotent });
  try {
    const metas = await producer.send({ topic, acks, timeout: 10_000, messages: records });
    const t = Date.now();
    let partial = false;
    for (const r of records) {
      const meta = metas.find((m) => m.partition === r.partition);
      if (meta) emit({ f: 'send', p: name, type: 'ok', t, ...r, offset: Number(meta.baseOffset) });
      else emit({ f: 'send', p: name, type: 'info', t, ...r, error: 'no RecordMetadata for the partition' });
      partial ||= !meta;
    }
    // KafkaJS resolves a send without the partitions whose leader moved to a broker that had
    // already answered for others (sendMessages.js keeps one response per broker), and rolls
    // their sequence back although the old leader may have appended them: as after a failure.
    if (partial && idempotent) await replaceProducer();
  } catch (e) {
    const t = Date.now();
    for (const r of records) emit({ f: 'send', p: name, type: 'info', t, ...r, error: describe(e) });
    if (idempotent) await replaceProducer();
  }
}

async function oneTransaction(): Promise<void> {
  const id = `${name}-txn-${seq}`;
  const outcome = Math.random() < 0.75 ? 'commit' : 'abort';
  const values = Array.from({ length: 2 + Math.floor(Math.random() * 3) }, () => ({ partition: nextPartition++ % partitions, value: `${name}-${seq++}` }));
  emit({ f: 'txn', p: name, type: 'invoke', t: Date.now(), id, outcome, values });
  let txn;
  try {
    txn = await producer.transaction();
  } catch (e) {
    emit({ f: 'txn', p: name, type: 'fail', t: Date.now(), id, outcome, error: `begin: ${describe(e)}` });
    await replaceProducer();
    return;
  }
  try {
    for (const { partition, value } of values) await txn.send({ topic, acks: -1, timeout: 10_000, messages: [{ value, partition }] });
    if (outcome === 'commit') await txn.commit();
    else await txn.abort();
    emit({ f: 'txn', p: name, type: 'ok', t: Date.now(), id, outcome });
  } catch (e) {
    // An abort may still reach the coordinator; otherwise the transaction times out (aborted).
    await txn.abort().catch(() => undefined);
    emit({ f: 'txn', p: name, type: 'info', t: Date.now(), id, outcome, error: describe(e) });
    // The same transactional.id: InitProducerId fences this one and aborts what it left open.
    await replaceProducer();
  }
}

await connect();
process.stdout.write(''); // connected
if (transactional) {
  while (!stopping) {
    await oneTransaction();
    await new Promise((r) => setTimeout(r, 1000 / rate));
  }
} else {
  while (!stopping) {
    const started = Date.now();
    await sendOne();
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 / rate - (Date.now() - started))));
  }
}
await producer.disconnect().catch(() => undefined);
process.exit(0);
