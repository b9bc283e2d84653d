// The report of bench/apache-kafka.ts: a table of every scenario, one of the brokers, the notes
// and errors, and one JSON line of it all.
import { cpus } from 'node:os';
import { KAFKA_VERSION } from '../../tools/apache-kafka/kafka.js';
import type { Measured } from './kafka-perf.js';
import { fmt, table } from './stats.js';

export type BrokerKind = 'samsa/os' | 'samsa/durable' | 'kafka';

export interface Row extends Measured {
  broker: BrokerKind;
  load: 'perf produce' | 'perf produce 5k/s' | 'perf consume' | 'gen produce' | 'gen consume';
  recordSize: number;
  partitions: number;
  load1: number;
}

export interface BrokerSummary {
  broker: BrokerKind;
  pid: number;
  startMs: number;
  idleRssMiB: number;
  idleCpuPct: number;
  hwmMiB: number;
}

export interface Report {
  rows: Row[];
  brokers: BrokerSummary[];
  /** The brokers in the order they were named: rows of one scenario are listed in it. */
  brokerOrder: BrokerKind[];
  javaVersion: string;
  uptimeStart: string;
  uptimeEnd: string;
  elapsedMs: number;
  /** The run's settings, as the JSON line gives them. */
  config: Record<string, unknown>;
}

/** Broker CPU per MiB of record values: its cost, less sensitive than MB/s to a busy machine. */
function cpuMsPerMiB(r: Row): number {
  return (r.brokerCpuPct * 10) / r.mbPerSec;
}

export function printReport({ rows, brokers, brokerOrder, javaVersion, uptimeStart, uptimeEnd, elapsedMs, config }: Report): void {
  const order = ['perf produce', 'gen produce', 'perf produce 5k/s', 'perf consume', 'gen consume'];
  const sorted = [...rows].sort((a, b) => a.partitions - b.partitions || a.recordSize - b.recordSize || order.indexOf(a.load) - order.indexOf(b.load) || brokerOrder.indexOf(a.broker) - brokerOrder.indexOf(b.broker));
  console.log(`\nSamsa vs Apache Kafka ${KAFKA_VERSION} (MB = MiB of record values; p99: perf produce = send→ack per record incl. producer queueing, gen produce = request round trip)`);
  console.log(
    table(
      ['load', 'size', 'parts', 'broker', 'records', 'records/s', 'MB/s', 'p99 ms', 'broker CPU', 'CPU ms/MiB', 'runq wait', 'client CPU', 'RSS peak/end MiB', 'load1', 'errors'],
      sorted.map((r) => [
        r.load,
        r.recordSize === 1024 ? '1 KiB' : `${r.recordSize} B`,
        String(r.partitions),
        r.broker,
        String(r.records),
        fmt(r.recordsPerSec, 0),
        fmt(r.mbPerSec),
        Number.isFinite(r.p99Ms) ? fmt(r.p99Ms, r.load === 'gen produce' ? 1 : 0) : '-',
        `${fmt(r.brokerCpuPct, 0)}%`,
        fmt(cpuMsPerMiB(r), 1),
        `${fmt(r.runqWaitPct, 0)}%`,
        Number.isFinite(r.clientCpuPct) ? `${fmt(r.clientCpuPct, 0)}%` : '-',
        `${fmt(r.peakRssMiB, 0)}/${fmt(r.endRssMiB, 0)}`,
        fmt(r.load1, 1),
        String(r.errors),
      ]),
    ),
  );
  console.log('\nBrokers (idle = 1–3 s after start, before any topic; VmHWM = peak RSS over the whole run)');
  console.log(table(['broker', 'PID', 'start s', 'idle RSS MiB', 'idle CPU', 'VmHWM MiB'], brokers.map((b) => [b.broker, String(b.pid), fmt(b.startMs / 1000, 1), fmt(b.idleRssMiB, 0), `${fmt(b.idleCpuPct, 1)}%`, fmt(b.hwmMiB, 0)])));
  const noted = sorted.filter((r) => r.note !== '' || r.errorSample !== '');
  console.log('\nDetails');
  for (const r of noted) console.log(`  ${r.load} ${r.recordSize} B ${r.partitions}p ${r.broker}: ${r.note}${r.errorSample ? `; first error: ${r.errorSample}` : ''}`);
  console.log(`\nuptime at end: ${uptimeEnd}\n(bench took ${fmt(elapsedMs / 1000, 0)} s)`);
  const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
  console.log(
    JSON.stringify({
      bench: 'apache-kafka',
      kafkaVersion: KAFKA_VERSION,
      node: process.version,
      java: javaVersion,
      cpus: cpus().length,
      uptimeStart,
      uptimeEnd,
      config,
      brokers: brokers.map((b) => ({ broker: b.broker, startMs: Math.round(b.startMs), idleRssMiB: round(b.idleRssMiB), idleCpuPct: round(b.idleCpuPct), hwmMiB: round(b.hwmMiB, 0) })),
      rows: sorted.map((r) => ({
        load: r.load,
        broker: r.broker,
        recordSize: r.recordSize,
        partitions: r.partitions,
        records: r.records,
        recordsPerSec: Math.round(r.recordsPerSec),
        mbPerSec: round(r.mbPerSec),
        p99Ms: round(r.p99Ms, 2),
        brokerCpuPct: round(r.brokerCpuPct, 0),
        brokerCpuMsPerMiB: round(cpuMsPerMiB(r), 2),
        runqWaitPct: round(r.runqWaitPct, 0),
        clientCpuPct: round(r.clientCpuPct, 0),
        peakRssMiB: round(r.peakRssMiB, 0),
        endRssMiB: round(r.endRssMiB, 0),
        load1: round(r.load1, 2),
        errors: r.errors,
      })),
    }),
  );
}
