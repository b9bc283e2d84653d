// What /proc tells of a process while a benchmark runs: CPU time, run-queue wait and memory.
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ
/** utime + stime of every thread of `pid` so far, ms. */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
/**
 * Time the threads of `pid` spent runnable but waiting for a CPU so far, ms (field 2 of
 * /proc/<pid>/task/<tid>/schedstat): how much the machine's other load held the broker back.
 */
export function procRunqWaitMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      /* thread exited */
    }
  }
  return ns / 1e6;
}
/** CPU time and run-queue wait of `pid`, read together. */
export function procTimes(pid: number): { cpu: number; wait: number } {
  return { cpu: procCpuMs(pid), wait: procRunqWaitMs(pid) };
}
export function procMem(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
export function procCmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

/** Samples a process's VmRSS every 100 ms from now until stop(). */
export function watch(pid: number): { stop: () => { peakRss: number; endRss: number } } {
  let peak = 0;
  let last = 0;
  const sample = () => {
    try {
      last = procMem(pid).rss;
      peak = Math.max(peak, last);
    } catch {
      /* exited */
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { peakRss: peak, endRss: last };
    },
  };
}
