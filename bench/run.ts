/**
 * `npm run bench [-- part...] [-- --flag...]`: runs the benchmarks, each as its own child process
 * (`node dist/bench/<part>.js`), in this order: protocol-records, storage, broker. Naming parts
 * runs only those (`npm run bench -- broker`); arguments starting with `-` are passed on to the
 * children (e.g. `npm run bench -- broker --profile`). Benchmarks, not tests: no assertions.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PARTS = ['protocol-records', 'storage', 'broker'] as const;

const args = process.argv.slice(2);
const named = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const unknown = named.filter((n) => !(PARTS as readonly string[]).includes(n));
if (unknown.length > 0) {
  console.error(`unknown bench part(s): ${unknown.join(', ')}; parts: ${PARTS.join(', ')}`);
  process.exit(2);
}
const selected = PARTS.filter((p) => named.length === 0 || named.includes(p));

function runPart(part: string): Promise<{ code: number | null; ms: number }> {
  const file = join(here, `${part}.js`);
  const started = performance.now();
  if (!existsSync(file)) {
    console.log(`(${part}: ${file} does not exist, skipped)`);
    return Promise.resolve({ code: null, ms: 0 });
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...flags], { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve({ code: code ?? (signal ? 128 : null), ms: performance.now() - started });
    });
  });
}

const summary: string[] = [];
let failed = false;
for (const part of selected) {
  console.log(`\n===== ${part} (node dist/bench/${part}.js${flags.length ? ' ' + flags.join(' ') : ''}) =====`);
  const { code, ms } = await runPart(part);
  summary.push(`${part}: ${code === null ? 'skipped' : code === 0 ? 'ok' : `exit ${code}`} (${(ms / 1000).toFixed(1)} s)`);
  if (code !== null && code !== 0) failed = true;
}
console.log(`\n===== done: ${summary.join(', ')} =====`);
if (failed) process.exitCode = 1;
