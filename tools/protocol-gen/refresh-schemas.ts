/**
 * Rebuilds tools/protocol-gen/schemas, the repository's copy of Kafka's JSON message schemas,
 * from a Kafka schema folder, so that generation needs nothing outside a clone of the project.
 *
 *   node dist/tools/protocol-gen/refresh-schemas.js [--from DIR] [--check]
 *
 * DIR (with messages/ and internal-records/ inside) defaults to ../shared/kafka-protocol. The
 * copy keeps Kafka's schema language and every fact in it (names, API keys, types, versions,
 * nullable/tagged/flexible versions, tags, defaults, map keys, entity types) and leaves out
 * Kafka's prose: the `about` texts and the `//` comments (license header, version history).
 * --check writes nothing: it exits 1 when the copy differs from what a refresh would write.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeOrCheck } from './files.js';
import { stripComments } from './schema.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// dist/tools/protocol-gen → repository root
const ROOT = resolve(HERE, '../../..');
const FOLDERS = ['messages', 'internal-records'];

const README = `# Kafka's protocol schemas, facts only

Written by \`npm run schemas:refresh\` from Apache Kafka 3.9.0's JSON message schemas
(\`../shared/kafka-protocol\`; Apache License 2.0, The Apache Software Foundation). Do not edit.

Each file is in Kafka's schema language (clients/src/main/resources/common/message/README.md
of apache/kafka) with its facts only: names, API keys, types, versions, nullable, tagged and
flexible versions, tags, defaults, map keys, entity types. Kafka's prose (the \`about\` texts
and the comments) is left out. \`npm run generate\` reads this folder.
`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The value without its `about` texts, at any depth. */
function withoutProse(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutProse);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'about').map(([k, x]) => [k, withoutProse(x)]));
}

/** A field (or common struct) on one line, its nested fields one per line below it. */
function formatField(f: { [key: string]: Json }, indent: string): string {
  const { fields, ...facts } = f;
  const inline = Object.entries(facts).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  if (!Array.isArray(fields)) return `{ ${inline.join(', ')} }`;
  return `{ ${[...inline, `"fields": ${formatFields(fields, indent)}`].join(', ')} }`;
}

function formatFields(fields: Json[], indent: string): string {
  if (fields.length === 0) return '[]';
  const inner = `${indent}  `;
  return `[\n${fields.map((f) => inner + formatField(f as { [key: string]: Json }, inner)).join(',\n')}\n${indent}]`;
}

/** One schema as the copy stores it: top-level facts one per line, one line per field. */
export function formatSchema(schema: { [key: string]: Json }): string {
  const lines = Object.entries(schema).map(([k, v]) => {
    const value = (k === 'fields' || k === 'commonStructs') && Array.isArray(v) ? formatFields(v, '  ') : JSON.stringify(v);
    return `  ${JSON.stringify(k)}: ${value}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** Kafka's schema text (with its comments) → the copy's text. */
export function schemaFacts(text: string): string {
  return formatSchema(withoutProse(JSON.parse(stripComments(text)) as Json) as { [key: string]: Json });
}

/** Every file of the copy, path relative to the copy's folder → text. */
export function refresh(fromDir: string): Map<string, string> {
  const out = new Map<string, string>([['README.md', README]]);
  for (const folder of FOLDERS) {
    const dir = join(fromDir, folder);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      out.set(`${folder}/${file}`, schemaFacts(readFileSync(join(dir, file), 'utf8')));
    }
  }
  return out;
}

function main(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { from: { type: 'string' }, check: { type: 'boolean', default: false } } });
  const files = refresh(resolve(values.from ?? join(ROOT, '../shared/kafka-protocol')));
  return writeOrCheck(join(ROOT, 'tools/protocol-gen/schemas'), files, values.check, 'the schema copy', 'run npm run schemas:refresh');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
