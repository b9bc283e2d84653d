#!/usr/bin/env node
/**
 * The `samsa` command. `samsa start [server.properties] [--override key=value]...` runs a broker
 * (src/cli/start.ts, imported only for that command); every other command is a Kafka client
 * (src/cli/program.ts and src/cli/commands/, on src/client), which never loads broker code.
 */
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { setCliEntry } from './entry.js';

async function main(argv: string[]): Promise<void> {
  // Node 22.1+: V8's code cache for the modules a start compiles (absent on Node 20).
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  setCliEntry(fileURLToPath(import.meta.url));
  const [command, ...rest] = argv;
  if (command === 'start') {
    const { start } = await import('./start.js');
    const code = await start(rest);
    if (code >= 0) process.exitCode = code;
    return;
  }
  const { runCli } = await import('./program.js');
  await runCli(argv);
}

void main(process.argv.slice(2));
