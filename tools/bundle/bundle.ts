/**
 * The `samsa` command as one bundled entry (dist/cli/samsa.js, the package's bin): one module
 * graph of ~300 files costs a start ~100 ms of resolving and compiling; a bundle with its lazy
 * parts split off (the broker for `samsa start`, etcd for a cluster, the client commands) does
 * not. npm packages stay external (native addons, etcd3's gRPC). Built from tsc's output:
 * `npm run build` runs it after tsc. Usage: node dist/tools/bundle/bundle.js
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outdir = `${root}dist/cli`;
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { samsa: 'dist/src/cli/samsa.js' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outdir,
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`bundle: dist/cli (${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB)`);
