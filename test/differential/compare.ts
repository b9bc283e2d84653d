// Normalising transcripts (what legitimately differs between two brokers: generated ids, times,
// host names, throttle times, error message prose, the order of unordered lists) and comparing
// them field by field.
import { decodeRecordBatches, decodeMessageSet, recordsMagic } from '../../src/protocol/records/index.js';
import type { AllowEntry, Difference, Entry } from './harness.js';

/** Ids a broker generates: replaced by their order of first appearance in the transcript. */
const SYMBOLIC = new Set(['topicId', 'memberId', 'producerId', 'sessionId', 'clusterId', 'incarnationId']);
/** Fields holding an id of another field's kind (JoinGroup's `leader` is a member id). */
const ALIAS: Record<string, string> = { leader: 'memberId' };
/** Values that differ by nature and carry no meaning for a comparison. */
const IGNORED = new Set(['throttleTimeMs', 'errorMessage', 'topLevelErrorMessage', 'host', 'port', 'logAppendTimeMs', 'clientHost']);
/** Keys that identify an element of an unordered list (first one present wins). */
const IDENTITY = ['name', 'topic', 'topicName', 'groupId', 'transactionalId', 'resourceName', 'configName', 'key', 'partitionIndex', 'partition', 'partitionId', 'index', 'apiKey', 'brokerId', 'nodeId', 'memberId', 'logDir', 'topicId'];
/** Lists whose order means something (a config's synonyms go from highest precedence down). */
const ORDERED = new Set(['synonyms']);
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

function identityOf(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) return undefined;
  const o = v as Record<string, unknown>;
  for (const k of IDENTITY) {
    if (k in o && (typeof o[k] === 'string' || typeof o[k] === 'number' || typeof o[k] === 'bigint')) return `${k}=${String(o[k])}`;
  }
  return undefined;
}

/** Record bytes as the consumer sees them, without the CRC (it covers producer ids and times). */
function decodeRecords(buf: Buffer, symbols: Symbols): unknown {
  if (buf.length === 0) return [];
  try {
    if (recordsMagic(buf) < 2) {
      return decodeMessageSet(buf).map((m: any) => ({ ...m, crc: undefined, timestamp: m.timestamp }));
    }
    return decodeRecordBatches(buf, { allowPartialTrailing: true, verifyCrc: true }).map((b: any) => {
      const { recordsData: _d, crc: _c, ...rest } = b;
      return {
        ...rest,
        producerId: b.producerId === -1n ? -1n : symbols.of('producerId', String(b.producerId)),
        maxTimestamp: b.timestampType === 1 ? '<logAppendTime>' : b.maxTimestamp,
        records: b.records.map((r: any) => ({ ...r, timestamp: b.timestampType === 1 ? '<logAppendTime>' : r.timestamp })),
      };
    });
  } catch (e) {
    return `undecodable records (${buf.length} bytes): ${(e as Error).message}`;
  }
}

class Symbols {
  private readonly maps = new Map<string, Map<string, string>>();
  of(kind: string, raw: string): string {
    let m = this.maps.get(kind);
    if (!m) this.maps.set(kind, (m = new Map()));
    let s = m.get(raw);
    if (!s) m.set(raw, (s = `<${kind}#${m.size + 1}>`));
    return s;
  }
}

function normaliseValue(key: string, v: unknown, symbols: Symbols): unknown {
  if (IGNORED.has(key)) return undefined;
  if (key === 'records' && Buffer.isBuffer(v)) return decodeRecords(v, symbols);
  const kind = SYMBOLIC.has(key) ? key : typeof v === 'string' ? ALIAS[key] : undefined;
  if (kind) {
    if (v === null || v === '' || v === ZERO_UUID || v === -1n || v === -1 || (v === 0 && kind === 'sessionId')) return v;
    return symbols.of(kind, String(v));
  }
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (Array.isArray(v)) {
    const items = v.map((x) => normaliseValue('', x, symbols));
    const ids = items.map(identityOf);
    if (items.length > 1 && !ORDERED.has(key) && ids.every((id) => id !== undefined)) {
      return items.map((x, i) => ({ x, id: ids[i]! })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((e) => e.x);
    }
    return items;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      // unknown tagged fields: compare them too (as hex)
      const n = normaliseValue(k, x, symbols);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  return v;
}

/** Normalises a transcript (symbolic ids are numbered per transcript, so both sides line up). */
export function normalise(entries: Entry[]): Entry[] {
  const symbols = new Symbols();
  return entries.map((e) => ({ ...e, outcome: normaliseValue('', e.outcome, symbols) }));
}

function show(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return '<absent>';
  if (v && typeof v === 'object') {
    const s = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
    return s.length > 300 ? `${s.slice(0, 300)}…` : JSON.parse(s);
  }
  return v;
}

function diffValues(path: string, a: unknown, b: unknown, out: { path: string; kafka: unknown; samsa: unknown }[], key = ''): void {
  if (a === b) return;
  if (typeof a === 'bigint' && typeof b === 'bigint' && a === b) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const ka = a.map(identityOf);
    const kb = b.map(identityOf);
    // Aligned by key only when keys are unique on both sides (a duplicated element must not vanish).
    const unique = (keys: (string | undefined)[]) => new Set(keys).size === keys.length;
    if (!ORDERED.has(key) && ka.every((k) => k !== undefined) && kb.every((k) => k !== undefined) && unique(ka) && unique(kb) && (a.length > 0 || b.length > 0)) {
      const ma = new Map(a.map((x, i) => [ka[i]!, x]));
      const mb = new Map(b.map((x, i) => [kb[i]!, x]));
      for (const k of new Set([...ma.keys(), ...mb.keys()])) diffValues(`${path}[${k}]`, ma.get(k), mb.get(k), out);
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffValues(`${path}[${i}]`, a[i], b[i], out);
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const oa = a as Record<string, unknown>;
    const ob = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(oa), ...Object.keys(ob)])) diffValues(path ? `${path}.${k}` : k, oa[k], ob[k], out, k);
    return;
  }
  out.push({ path, kafka: show(a), samsa: show(b) });
}

/** Field-by-field differences between two normalised transcripts of one session. */
export function compareTranscripts(session: string, kafka: Entry[], samsa: Entry[]): Difference[] {
  const diffs: Difference[] = [];
  const n = Math.max(kafka.length, samsa.length);
  for (let i = 0; i < n; i++) {
    const a = kafka[i];
    const b = samsa[i];
    if (!a || !b || a.step !== b.step) {
      diffs.push({ session, where: `step ${i}`, kafka: a?.step ?? '<none>', samsa: b?.step ?? '<none>' });
      break; // the sessions went different ways; later steps cannot be lined up
    }
    const out: { path: string; kafka: unknown; samsa: unknown }[] = [];
    diffValues('', a.outcome, b.outcome, out);
    for (const d of out) diffs.push({ session, where: `${a.step}: ${d.path || '<response>'}`, kafka: d.kafka, samsa: d.samsa });
  }
  return diffs;
}

/** Splits differences into those an allowlist entry covers and the rest; reports unused entries. */
export function applyAllowlist(diffs: Difference[], allow: readonly AllowEntry[], sessionsRun: readonly string[]): { allowed: Difference[]; unexplained: Difference[]; unused: AllowEntry[] } {
  const used = new Set<AllowEntry>();
  const allowed: Difference[] = [];
  const unexplained: Difference[] = [];
  const sessionMatches = (e: AllowEntry, s: string) => (typeof e.session === 'string' ? e.session === s : e.session.test(s));
  for (const d of diffs) {
    const e = allow.find((x) => sessionMatches(x, d.session) && x.where.test(d.where) && (x.kafka === undefined || JSON.stringify(x.kafka) === JSON.stringify(d.kafka)));
    if (e) {
      used.add(e);
      allowed.push(d);
    } else unexplained.push(d);
  }
  const unused = allow.filter((e) => !used.has(e) && sessionsRun.some((s) => sessionMatches(e, s)));
  return { allowed, unexplained, unused };
}
