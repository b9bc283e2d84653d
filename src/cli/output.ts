/** Output of listing commands: aligned tables, JSON or YAML. */

export type OutputFormat = 'table' | 'json' | 'yaml';

/** Plain data for JSON/YAML: bigints become numbers when exact, strings otherwise; Buffers become strings. */
export function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, plain(x)]));
  return v;
}

export function toJson(v: unknown, pretty = true): string {
  return JSON.stringify(plain(v), null, pretty ? 2 : undefined);
}

function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  if (s === '' || /^[\s-?:,\[\]{}#&*!|>'"%@`]|[:#]\s|\s$|^(true|false|null|yes|no|on|off|~)$/i.test(s) || /^[-+]?(\d|\.\d)/.test(s) || /[\n\r\t]/.test(s)) return JSON.stringify(s);
  return s;
}

export function toYaml(v: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  const p = plain(v);
  if (Array.isArray(p)) {
    if (!p.length) return `${pad}[]\n`;
    return p
      .map((x) => {
        if (x && typeof x === 'object' && (Array.isArray(x) ? x.length : Object.keys(x).length)) {
          const inner = toYaml(x, indent + 2);
          return `${pad}- ${inner.slice(indent + 2)}`;
        }
        return `${pad}- ${x && typeof x === 'object' ? (Array.isArray(x) ? '[]' : '{}') : yamlScalar(x)}\n`;
      })
      .join('');
  }
  if (p && typeof p === 'object') {
    const entries = Object.entries(p);
    if (!entries.length) return `${pad}{}\n`;
    return entries
      .map(([k, x]) => {
        if (x && typeof x === 'object' && (Array.isArray(x) ? x.length : Object.keys(x).length)) return `${pad}${yamlScalar(k)}:\n${toYaml(x, Array.isArray(x) ? indent : indent + 2)}`;
        return `${pad}${yamlScalar(k)}: ${x && typeof x === 'object' ? (Array.isArray(x) ? '[]' : '{}') : yamlScalar(x)}\n`;
      })
      .join('');
  }
  return `${pad}${yamlScalar(p)}\n`;
}

export interface Column<T> {
  header: string;
  get: (row: T) => unknown;
  align?: 'left' | 'right';
}

export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => {
    const v = c.get(r);
    return v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v);
  }));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : i === vals.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Prints rows as a table, or `data` (default rows) as JSON/YAML. */
export function print<T>(format: OutputFormat, rows: T[], columns: Column<T>[], data: unknown = rows): void {
  if (format === 'json') process.stdout.write(toJson(data) + '\n');
  else if (format === 'yaml') process.stdout.write(toYaml(data));
  else process.stdout.write(table(rows, columns));
}
