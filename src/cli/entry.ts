/**
 * Where the running `samsa` command's entry file is, for commands that start more of it (dev-cluster's
 * brokers): the bundled bin (dist/cli/samsa.js) or tsc's output (dist/src/cli/samsa.js), whichever ran.
 */
import { fileURLToPath } from 'node:url';

let entry: string | undefined;

export function setCliEntry(path: string): void {
  entry = path;
}

/** The entry that started this process; tsc's output when none registered (tests call commands in-process). */
export function cliEntry(): string {
  return entry ?? fileURLToPath(new URL('./samsa.js', import.meta.url));
}
