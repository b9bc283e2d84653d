// The repository's copy of Kafka's schemas: the facts generation reads, none of Kafka's prose,
// and enough to regenerate src/protocol/generated from a clone of the project alone.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../../../../tools/protocol-gen/generate.js';
import { compareTree } from '../../../../tools/protocol-gen/files.js';
import { schemaFacts } from '../../../../tools/protocol-gen/refresh-schemas.js';
import { loadMessage } from '../../../../tools/protocol-gen/schema.js';

// dist/test/unit/tools/protocol-gen → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..');

// Kafka's layout: a license header, version history in comments, `about` at every level.
const KAFKA_TEXT = `// Licensed to the Apache Software Foundation (ASF) under one or more
// contributor license agreements.
{
  "apiKey": 99,
  "type": "request",
  "listeners": ["broker"],
  "name": "SampleRequest",
  // Version 1 adds Tagged.
  "validVersions": "0-2",
  "deprecatedVersions": "0",
  "flexibleVersions": "1+",
  "fields": [
    { "name": "GroupId", "type": "string", "versions": "0+", "entityType": "groupId",
      "about": "The group id." },
    { "name": "Topics", "type": "[]Topic", "versions": "0+", "nullableVersions": "2+",
      "about": "Each topic.", "fields": [
      { "name": "Name", "type": "string", "versions": "0+", "mapKey": true, "about": "The name." },
      { "name": "Partitions", "type": "[]Partition", "versions": "0+", "about": "Each partition." }
    ]},
    { "name": "Tagged", "type": "int32", "versions": "1+", "taggedVersions": "1+", "tag": 0,
      "default": "-1", "ignorable": true, "about": "A tagged field." },
    { "name": "Client", "type": "string", "versions": "0+", "flexibleVersions": "none", "default": null }
  ],
  "commonStructs": [
    { "name": "Partition", "versions": "0+", "fields": [
      { "name": "Index", "type": "int32", "versions": "0+", "about": "The index." },
      { "name": "Data", "type": "records", "versions": "0+", "nullableVersions": "0+", "zeroCopy": true }
    ]}
  ]
}
`;

describe('the schema copy (tools/protocol-gen/refresh-schemas)', () => {
  test('keeps every fact of a schema and drops the about texts and the comments', () => {
    const copy = schemaFacts(KAFKA_TEXT);
    assert.doesNotMatch(copy, /about|Licensed|Version 1 adds|\/\//);
    assert.deepEqual(JSON.parse(copy), {
      apiKey: 99,
      type: 'request',
      listeners: ['broker'],
      name: 'SampleRequest',
      validVersions: '0-2',
      deprecatedVersions: '0',
      flexibleVersions: '1+',
      fields: [
        { name: 'GroupId', type: 'string', versions: '0+', entityType: 'groupId' },
        {
          name: 'Topics',
          type: '[]Topic',
          versions: '0+',
          nullableVersions: '2+',
          fields: [
            { name: 'Name', type: 'string', versions: '0+', mapKey: true },
            { name: 'Partitions', type: '[]Partition', versions: '0+' },
          ],
        },
        { name: 'Tagged', type: 'int32', versions: '1+', taggedVersions: '1+', tag: 0, default: '-1', ignorable: true },
        { name: 'Client', type: 'string', versions: '0+', flexibleVersions: 'none', default: null },
      ],
      commonStructs: [
        {
          name: 'Partition',
          versions: '0+',
          fields: [
            { name: 'Index', type: 'int32', versions: '0+' },
            { name: 'Data', type: 'records', versions: '0+', nullableVersions: '0+', zeroCopy: true },
          ],
        },
      ],
    });
  });

  test('a copied schema loads into the same model as Kafka\'s file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-schemas-'));
    try {
      writeFileSync(join(dir, 'kafka.json'), KAFKA_TEXT);
      writeFileSync(join(dir, 'copy.json'), schemaFacts(KAFKA_TEXT));
      const kafka = loadMessage(join(dir, 'kafka.json'), 'SampleRequest.json');
      const copy = loadMessage(join(dir, 'copy.json'), 'SampleRequest.json');
      assert.deepEqual(copy, kafka);
      assert.equal(kafka.structs.length, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a field with nested fields is one line, its nested fields one line each', () => {
    const lines = schemaFacts(KAFKA_TEXT).split('\n');
    assert.ok(lines.includes('    { "name": "Topics", "type": "[]Topic", "versions": "0+", "nullableVersions": "2+", "fields": ['));
    assert.ok(lines.includes('      { "name": "Name", "type": "string", "versions": "0+", "mapKey": true },'));
  });

  test('the committed generated code is what the in-repository copy generates, and the copy has no prose', () => {
    const schemas = join(ROOT, 'tools/protocol-gen/schemas');
    assert.deepEqual(compareTree(join(ROOT, 'src/protocol/generated'), generate(schemas)), []);
    for (const folder of ['messages', 'internal-records']) {
      const files = readdirSync(join(schemas, folder));
      assert.ok(files.length > 0, `${folder} is empty`);
      for (const f of files) assert.doesNotMatch(readFileSync(join(schemas, folder, f), 'utf8'), /"about"|\/\//, `${folder}/${f}`);
    }
  });
});
