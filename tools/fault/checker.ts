/**
 * Checks a history against the log as read after healing (../shared/fault-testing.md's
 * invariants). Pure: the same history and reads give the same verdict, so a saved run re-checks.
 * - lost: a send acknowledged at (partition, offset) whose value is not there.
 * - moved: an acknowledged value found, but at another offset than acknowledged.
 * - duplicate: one value at two offsets, from an idempotent producer.
 * - unknown: a value in the log that nobody sent.
 * - reordered: an idempotent producer's acknowledged offsets not increasing in send order.
 * - realtime: a send invoked after another was acknowledged on the same partition, written below it.
 * - failed-visible: a definitely failed send in the log.
 * - poll-mismatch: a consumer read during the run a value at an offset that holds another value
 *   (or nothing) after healing: it was served data that was then lost or rewritten.
 * - txn-aborted-visible / txn-partial / txn-lost: read_committed shows an aborted transaction's
 *   record, part of a transaction, or misses a committed one.
 */
import type { LogRecord, Op, PollOp, SendOp, TxnOp } from './history.js';

export type ViolationKind = 'lost' | 'moved' | 'duplicate' | 'unknown' | 'reordered' | 'realtime' | 'failed-visible' | 'poll-mismatch' | 'txn-aborted-visible' | 'txn-partial' | 'txn-lost';

export interface Violation {
  kind: ViolationKind;
  detail: string;
}

export interface Verdict {
  valid: boolean;
  violations: Violation[];
  /** How many of each kind (all kinds, zero included). */
  counts: Record<ViolationKind, number>;
  stats: { invoked: number; acked: number; indefinite: number; failed: number; polled: number; logRecords: number; txnCommitted: number; txnAborted: number; txnIndefinite: number };
}

export interface CheckInput {
  history: Op[];
  /** Every record of every partition, read_uncommitted, after healing. */
  log: LogRecord[];
  /** The same read with read_committed, when transactions ran. */
  committed?: LogRecord[];
}

const KINDS: ViolationKind[] = ['lost', 'moved', 'duplicate', 'unknown', 'reordered', 'realtime', 'failed-visible', 'poll-mismatch', 'txn-aborted-visible', 'txn-partial', 'txn-lost'];
/** At most this many violations of one kind are listed (all are counted). */
const LISTED = 20;

interface Send {
  p: string;
  partition: number;
  value: string;
  idempotent: boolean;
  invokedAt: number;
  outcome?: 'ok' | 'fail' | 'info';
  offset?: number;
  ackedAt?: number;
  seq: number;
}

export function check(input: CheckInput): Verdict {
  const violations: Violation[] = [];
  const counts = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ViolationKind, number>;
  const report = (kind: ViolationKind, detail: string) => {
    if (counts[kind]++ < LISTED) violations.push({ kind, detail });
  };

  // Sends by value (values are unique per worker: `${worker}-${seq}`).
  const sends = new Map<string, Send>();
  const txns = new Map<string, { invoke: TxnOp; end?: TxnOp }>();
  const polls: PollOp[] = [];
  let seq = 0;
  for (const op of input.history) {
    if (op.f === 'send') {
      if (op.type === 'invoke') sends.set(op.value, { p: op.p, partition: op.partition, value: op.value, idempotent: op.idempotent === true, invokedAt: op.t, seq: seq++ });
      else complete(sends.get(op.value), op);
    } else if (op.f === 'txn') {
      if (op.type === 'invoke') {
        txns.set(op.id, { invoke: op });
        for (const v of op.values ?? []) sends.set(v.value, { p: op.p, partition: v.partition, value: v.value, idempotent: true, invokedAt: op.t, seq: seq++, outcome: 'info' });
      } else {
        const t = txns.get(op.id);
        if (t) t.end = op;
      }
    } else polls.push(op);
  }

  // The log: value at each (partition, offset), offsets of each value.
  const at = new Map<string, string>();
  const offsetsOf = new Map<string, { partition: number; offset: number }[]>();
  for (const r of input.log) {
    at.set(`${r.partition}:${r.offset}`, r.value);
    const list = offsetsOf.get(r.value) ?? [];
    list.push({ partition: r.partition, offset: r.offset });
    offsetsOf.set(r.value, list);
  }

  for (const s of sends.values()) {
    const found = offsetsOf.get(s.value) ?? [];
    if (s.outcome === 'ok') {
      const there = at.get(`${s.partition}:${s.offset}`);
      if (there === s.value) {
        // in place
      } else if (found.length === 0) report('lost', `${s.value} acknowledged at ${s.partition}:${s.offset}; ${there === undefined ? 'no record there' : `${there} is there`}`);
      else report('moved', `${s.value} acknowledged at ${s.partition}:${s.offset}, found at ${found.map((f) => `${f.partition}:${f.offset}`).join(', ')}`);
    }
    if (s.outcome === 'fail' && found.length > 0) report('failed-visible', `${s.value} failed definitely but is at ${found.map((f) => `${f.partition}:${f.offset}`).join(', ')}`);
    if (s.idempotent && found.length > 1) report('duplicate', `${s.value} at ${found.map((f) => `${f.partition}:${f.offset}`).join(', ')}`);
  }
  for (const [value, where] of offsetsOf) if (!sends.has(value)) report('unknown', `${value} at ${where.map((f) => `${f.partition}:${f.offset}`).join(', ')}, never sent`);

  checkOrder(sends, report);

  for (const poll of polls) {
    const there = at.get(`${poll.partition}:${poll.offset}`);
    if (there !== poll.value) report('poll-mismatch', `${poll.p} read ${poll.value} at ${poll.partition}:${poll.offset}; after healing ${there === undefined ? 'no record is there' : `${there} is there`}`);
  }

  const stats = { invoked: 0, acked: 0, indefinite: 0, failed: 0, polled: polls.length, logRecords: input.log.length, txnCommitted: 0, txnAborted: 0, txnIndefinite: 0 };
  for (const s of sends.values()) {
    stats.invoked++;
    if (s.outcome === 'ok') stats.acked++;
    else if (s.outcome === 'fail') stats.failed++;
    else stats.indefinite++;
  }
  if (txns.size > 0) checkTransactions(txns, input.committed, report, stats);
  return { valid: violations.length === 0, violations, counts, stats };
}

function complete(s: Send | undefined, op: SendOp): void {
  if (!s || op.type === 'invoke') return;
  s.outcome = op.type;
  if (op.type === 'ok') {
    s.offset = op.offset;
    s.ackedAt = op.t;
  }
}

/** Per idempotent producer and partition, offsets follow send order; across producers, a send invoked after an ack lands above it. */
function checkOrder(sends: Map<string, Send>, report: (k: ViolationKind, d: string) => void): void {
  const byPartition = new Map<number, Send[]>();
  for (const s of sends.values()) {
    if (s.outcome !== 'ok') continue;
    const list = byPartition.get(s.partition) ?? [];
    list.push(s);
    byPartition.set(s.partition, list);
  }
  for (const [partition, acked] of byPartition) {
    const last = new Map<string, Send>();
    for (const s of [...acked].sort((a, b) => a.seq - b.seq)) {
      const prev = last.get(s.p);
      if (s.idempotent && prev && prev.offset! >= s.offset!) report('reordered', `${s.p} on partition ${partition}: ${prev.value} at ${prev.offset}, then ${s.value} at ${s.offset}`);
      last.set(s.p, s);
    }
    // Sweep invokes in time order against acks in time order: the highest offset acknowledged before each invoke.
    const byAck = [...acked].sort((a, b) => a.ackedAt! - b.ackedAt!);
    let i = 0;
    let highest: Send | undefined;
    for (const s of [...acked].sort((a, b) => a.invokedAt - b.invokedAt)) {
      while (i < byAck.length && byAck[i]!.ackedAt! < s.invokedAt) {
        if (!highest || byAck[i]!.offset! > highest.offset!) highest = byAck[i];
        i++;
      }
      if (highest && highest.offset! >= s.offset!) report('realtime', `partition ${partition}: ${s.value} invoked after ${highest.value} was acknowledged at ${highest.offset}, written at ${s.offset}`);
    }
  }
}

function checkTransactions(
  txns: Map<string, { invoke: TxnOp; end?: TxnOp }>,
  committed: LogRecord[] | undefined,
  report: (k: ViolationKind, d: string) => void,
  stats: Verdict['stats'],
): void {
  if (!committed) throw new Error('transactions ran but no read_committed read was given');
  const visible = new Set(committed.map((r) => r.value));
  for (const [id, { invoke, end }] of txns) {
    const values = (invoke.values ?? []).map((v) => v.value);
    const shown = values.filter((v) => visible.has(v));
    const outcome = end?.type === 'ok' ? end.outcome : undefined;
    if (outcome === 'commit') stats.txnCommitted++;
    else if (outcome === 'abort') stats.txnAborted++;
    else stats.txnIndefinite++;
    if (outcome === 'commit' && shown.length < values.length) report('txn-lost', `${id} committed; read_committed misses ${values.filter((v) => !visible.has(v)).join(', ')}`);
    else if (outcome === 'abort' && shown.length > 0) report('txn-aborted-visible', `${id} aborted; read_committed shows ${shown.join(', ')}`);
    else if (outcome === undefined && shown.length > 0 && shown.length < values.length) report('txn-partial', `${id} (outcome unknown) shows ${shown.join(', ')} of ${values.join(', ')}`);
  }
}
