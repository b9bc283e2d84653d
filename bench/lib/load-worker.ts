/**
 * Forked load-generator process (child_process.fork with advanced serialization): receives one
 * task, reports 'window-start'/'window-end' as they happen, then the result, then exits.
 */
import { runTask, type Task } from './load.js';

function send(m: unknown, then: () => void = () => undefined): void {
  if (!process.send) throw new Error('load-worker must be started with child_process.fork');
  process.send(m, undefined, undefined, then);
}
const done = () => process.disconnect?.();

process.once('message', (task: Task) => {
  runTask(task, (event) => send({ type: event })).then(
    (result) => send({ type: 'result', result }, done),
    (e: unknown) => send({ type: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, done),
  );
});
