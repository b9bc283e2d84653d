/**
 * The run's history: one JSON object per line, as Jepsen records it. `invoke` before a client
 * call; then `ok` (it happened), `fail` (it definitely did not) or `info` (unknown: a timeout, a
 * disconnect or an error after retries, so the write may be in the log or not).
 */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

export interface SendOp {
  f: 'send';
  /** The worker (one producer), e.g. `kafkajs-1`. */
  p: string;
  type: OpType;
  /** Milliseconds since the epoch, taken by the worker. */
  t: number;
  partition: number;
  value: string;
  /** On ok: where the record was written. */
  offset?: number;
  /** On invoke: whether the producer is idempotent (then duplicates and reordering are violations). */
  idempotent?: boolean;
  error?: string;
}

/** A transaction of sends (their own send ops, `txn` set) committed or aborted as one. */
export interface TxnOp {
  f: 'txn';
  p: string;
  type: OpType;
  t: number;
  id: string;
  /** What the worker asked for (commit or abort); on ok, what happened. */
  outcome: 'commit' | 'abort';
  values?: { partition: number; value: string }[];
  error?: string;
}

/** A record a consumer read while the faults ran. */
export interface PollOp {
  f: 'poll';
  p: string;
  type: 'ok';
  t: number;
  partition: number;
  offset: number;
  value: string;
}

export type Op = SendOp | TxnOp | PollOp;

/** A record read after healing: the log as it ended up. */
export interface LogRecord {
  partition: number;
  offset: number;
  value: string;
}

export function parseHistory(jsonl: string): Op[] {
  return jsonl
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Op);
}
