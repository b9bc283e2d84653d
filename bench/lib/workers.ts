/**
 * Runs load tasks (bench/lib/load.ts) in forked load-worker processes, one process per task, and
 * samples the broker's CPU time when worker 0 opens and closes its measurement window.
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Task, TaskResult } from './load.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'load-worker.js');

/** Anything whose CPU time (user + system, ms) can be read, e.g. a BrokerProcess. */
export interface CpuSource {
  cpuMs(): number;
}

export async function runWorkers(broker: CpuSource | undefined, tasks: Task[], nodeArgs: string[] = []): Promise<{ results: TaskResult[]; brokerCpuMs: number; windowMs: number }> {
  let cpuStart = 0;
  let tStart = 0;
  let cpuEnd = 0;
  let tEnd = 0;
  const results = await Promise.all(
    tasks.map(
      (task, i) =>
        new Promise<TaskResult>((resolve, reject) => {
          const child = fork(WORKER, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: nodeArgs });
          let result: TaskResult | undefined;
          child.on('message', (m: { type: string; result?: TaskResult; error?: string }) => {
            if (m.type === 'window-start' && i === 0) {
              cpuStart = broker?.cpuMs() ?? 0;
              tStart = performance.now();
            } else if (m.type === 'window-end' && i === 0) {
              cpuEnd = broker?.cpuMs() ?? 0;
              tEnd = performance.now();
            } else if (m.type === 'result') result = m.result;
            else if (m.type === 'error') reject(new Error(`load worker failed: ${m.error}`));
          });
          child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`load worker exited with ${code} and no result`))));
          child.send(task);
        }),
    ),
  );
  return { results, brokerCpuMs: cpuEnd - cpuStart, windowMs: tEnd - tStart };
}
