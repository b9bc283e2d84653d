// Builds librdkafka and the @confluentinc/kafka-javascript binding from the sources the npm
// package ships. The package's own install script is denied in package.json because it first
// tries to download a prebuilt binary and its default static build (`configure --install-deps
// --source-deps-only`) downloads OpenSSL, zlib, zstd… sources: neither works with only the
// package registries reachable. CKJS_LINKING=dynamic makes `configure` use the system's
// development packages instead (zlib1g-dev, libssl-dev, libzstd-dev; LZ4 and Snappy are
// built in) and installs librdkafka.so next to the addon (rpath $ORIGIN/../deps).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const pkgDir = join(__dirname, 'node_modules', '@confluentinc', 'kafka-javascript');
if (!existsSync(pkgDir)) {
  console.error(`build.cjs: ${pkgDir} is missing; run npm ci --prefix test/interop/rdkafka`);
  process.exit(1);
}
// npm gives lifecycle scripts the path of its bundled node-gyp.
const nodeGyp = process.env.npm_config_node_gyp || require.resolve('node-gyp/bin/node-gyp.js', { paths: ['/usr/lib/node_modules/npm'] });
const started = Date.now();
// One job at the top: with more, make reaches deps/librdkafka/config.h before the configure action made it
// (librdkafka's own make runs with -j).
const r = spawnSync(process.execPath, [nodeGyp, 'rebuild'], {
  cwd: pkgDir,
  stdio: 'inherit',
  env: { ...process.env, CKJS_LINKING: 'dynamic', BUILD_LIBRDKAFKA: '1' },
});
if (r.status !== 0) {
  console.error(`build.cjs: node-gyp rebuild failed (${r.error ? r.error.message : `exit ${r.status}`}); the build needs gcc, g++, make, python3 and Debian's zlib1g-dev libssl-dev libzstd-dev`);
  process.exit(1);
}
const kafka = require(pkgDir);
console.log(`build.cjs: built librdkafka ${kafka.librdkafkaVersion} in ${Math.round((Date.now() - started) / 1000)} s`);
