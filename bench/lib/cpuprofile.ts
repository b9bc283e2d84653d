/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive time per function, grouped
 * so that the broker's own code (dist/src/** → src/**.ts) stands out from Node internals and
 * native frames.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  key: string;
  /** Fraction of all samples (0-1), idle included. */
  self: number;
  inclusive: number;
}

export interface ProfileSummary {
  samples: number;
  durationMs: number;
  idle: number;
  gc: number;
  program: number;
  /** Share of the samples whose leaf frame is in src/** (the broker's own code). */
  brokerSelf: number;
  topSelf: ProfileEntry[];
  topBrokerInclusive: ProfileEntry[];
  byFile: ProfileEntry[];
}

/** `file:///…/dist/src/storage/segment.js` → `src/storage/segment.ts`; node internals kept short. */
export function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const m = /\/dist\/((?:src|bench)\/.*)\.js$/.exec(url);
  if (m) return `${m[1]}.ts`;
  if (url.startsWith('node:')) return url;
  const nm = /node_modules\/(.*)$/.exec(url);
  if (nm) return `node_modules/${nm[1]}`;
  return url.replace(/^file:\/\//, '');
}

function frameKey(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (f.url === '') return name;
  // lineNumber is 0-based and refers to the compiled .js (close to the .ts line).
  return `${shortUrl(f.url)}:${name}:${f.lineNumber + 1}`;
}

export function summarizeProfile(path: string, top = 20): ProfileSummary {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of prof.nodes) byId.set(n.id, n);
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfCount = new Map<string, number>();
  const inclCount = new Map<string, number>();
  const fileCount = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  let program = 0;
  let brokerSelf = 0;
  const total = prof.samples.length;
  for (const id of prof.samples) {
    const node = byId.get(id)!;
    const f = node.callFrame;
    const key = frameKey(f);
    selfCount.set(key, (selfCount.get(key) ?? 0) + 1);
    const file = f.url === '' ? '(native)' : shortUrl(f.url);
    fileCount.set(file, (fileCount.get(file) ?? 0) + 1);
    if (f.functionName === '(idle)') idle++;
    else if (f.functionName === '(garbage collector)') gc++;
    else if (f.functionName === '(program)') program++;
    if (file.startsWith('src/')) brokerSelf++;
    // Inclusive: each broker function on the stack counts once per sample.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      if (!shortUrl(cf.url).startsWith('src/')) continue;
      const k = frameKey(cf);
      if (seen.has(k)) continue;
      seen.add(k);
      inclCount.set(k, (inclCount.get(k) ?? 0) + 1);
    }
  }
  const entries = (m: Map<string, number>, other?: Map<string, number>) =>
    [...m.entries()]
      .map(([key, n]) => ({ key, self: n / total, inclusive: (other?.get(key) ?? n) / total }))
      .sort((a, b) => b.self - a.self);
  const self = entries(selfCount, inclCount);
  return {
    samples: total,
    durationMs: (prof.endTime - prof.startTime) / 1000,
    idle: idle / total,
    gc: gc / total,
    program: program / total,
    brokerSelf: brokerSelf / total,
    topSelf: self.filter((e) => e.key !== '(idle)').slice(0, top),
    topBrokerInclusive: [...inclCount.entries()]
      .map(([key, n]) => ({ key, self: (selfCount.get(key) ?? 0) / total, inclusive: n / total }))
      .sort((a, b) => b.inclusive - a.inclusive)
      .slice(0, top),
    byFile: entries(fileCount).slice(0, top),
  };
}

export function formatProfile(title: string, s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
  const busy = 1 - s.idle;
  const lines = [
    `${title}: ${s.samples} samples over ${(s.durationMs / 1000).toFixed(1)} s; main thread busy ${pct(busy)}, idle ${pct(s.idle)}, GC ${pct(s.gc)}, (program) ${pct(s.program)}, broker code (self) ${pct(s.brokerSelf)}`,
    '  top self time (% of all samples):',
    ...s.topSelf.map((e) => `    ${pct(e.self)}  ${e.key}`),
    '  broker functions by inclusive time (self + callees):',
    ...s.topBrokerInclusive.map((e) => `    ${pct(e.inclusive)}  (self ${pct(e.self).trim()})  ${e.key}`),
    '  self time by file:',
    ...s.byFile.map((e) => `    ${pct(e.self)}  ${e.key}`),
  ];
  return lines.join('\n');
}
