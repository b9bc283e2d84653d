/** kcat-style output formats for `samsa consume --format`. */
import type { ConsumedRecord } from '../client/index.js';

export const FORMAT_HELP = `%t topic  %p partition  %o offset  %k key  %K key length  %s value  %S value length
%h headers (k=v,...)  %T timestamp (ms)  %D timestamp (ISO)  %% a percent sign;  \\n \\t \\\\ escapes`;

type Part = string | ((r: ConsumedRecord) => string);

export function compileFormat(fmt: string): (r: ConsumedRecord) => string {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c === '\\' && i + 1 < fmt.length) {
      const n = fmt[++i]!;
      lit += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '\0' : n;
      continue;
    }
    if (c !== '%' || i + 1 >= fmt.length) {
      lit += c;
      continue;
    }
    const t = fmt[++i]!;
    let fn: ((r: ConsumedRecord) => string) | null = null;
    switch (t) {
      case 't': fn = (r) => r.topic; break;
      case 'p': fn = (r) => String(r.partition); break;
      case 'o': fn = (r) => String(r.offset); break;
      case 'k': fn = (r) => r.key?.toString('utf8') ?? ''; break;
      case 'K': fn = (r) => String(r.key ? r.key.length : -1); break;
      case 's': fn = (r) => r.value?.toString('utf8') ?? ''; break;
      case 'S': fn = (r) => String(r.value ? r.value.length : -1); break;
      case 'h': fn = (r) => r.headers.map((h) => `${h.key}=${h.value?.toString('utf8') ?? ''}`).join(','); break;
      case 'T': fn = (r) => String(r.timestamp); break;
      case 'D': fn = (r) => new Date(Number(r.timestamp)).toISOString(); break;
      case '%': lit += '%'; continue;
      default: throw new Error(`unknown format token %${t} (${FORMAT_HELP.replace(/\n/g, ' ')})`);
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push(fn);
  }
  if (lit) parts.push(lit);
  return (r) => {
    let s = '';
    for (const p of parts) s += typeof p === 'string' ? p : p(r);
    return s;
  };
}

export function recordJson(r: ConsumedRecord): string {
  const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));
  return JSON.stringify({
    topic: r.topic,
    partition: r.partition,
    offset: Number(r.offset),
    timestamp: Number(r.timestamp),
    key: text(r.key),
    value: text(r.value),
    headers: Object.fromEntries(r.headers.map((h) => [h.key, text(h.value)])),
  });
}

/** Parses a point in time: ms since the epoch, an ISO date, or a duration ago (30s, 5m, 2h, 1d). */
export function parseTime(s: string, now = Date.now()): number | null {
  if (/^\d{10,}$/.test(s)) return Number(s);
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s);
  if (d) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2] as 'ms'];
    return now - Math.round(Number(d[1]) * unit);
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}
