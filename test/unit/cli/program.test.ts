import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

test('layering: the client and the CLI commands never import broker or storage code', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)) visit(resolve(dirname(file), m[1] ?? m[2]!));
  };
  visit(join(root, 'cli/program.js'));
  visit(join(root, 'client/index.js'));
  const bad = [...seen].filter((f) => /[/\\](broker|storage|coordinators)[/\\]/.test(f));
  assert.deepEqual(bad, []);
  assert.ok(!seen.has(join(root, 'cli/start.js')));
});
