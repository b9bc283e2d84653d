/**
 * Fault schedules. Each cycle picks its target from the cluster's state at that moment (the
 * leader of a seeded partition, or the controller), applies one fault, holds it, heals, and
 * waits for the cluster to recover before the next cycle. Timings come from the seed.
 */
import { ETCD_HOST, brokerHost, type FaultCluster } from './cluster.js';
import type { Firewall } from './firewall.js';

export const SCHEDULES = ['kill-leader', 'pause-leader', 'isolate-leader', 'isolate-controller-from-etcd', 'bounce-all'] as const;
export type Schedule = (typeof SCHEDULES)[number];

export interface NemesisContext {
  cluster: FaultCluster;
  firewall: Firewall;
  topic: string;
  partitions: number;
  sessionTimeoutMs: number;
  rand: () => number;
  /** Records what the nemesis did (kept in the run's folder). */
  log: (event: string) => void;
  /** True once the run should stop starting faults. */
  done: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (rand: () => number, lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));

/** Waits until every partition of the topic has a leader and its full replica set in the ISR (as a running broker sees it). */
export async function waitHealthy(ctx: Pick<NemesisContext, 'cluster' | 'topic'>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = await ctx.cluster.partitions(ctx.topic);
    if (state && state.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length)) return true;
    await sleep(250);
  }
  return false;
}

async function leaderOf(ctx: NemesisContext): Promise<number | undefined> {
  const state = await ctx.cluster.partitions(ctx.topic);
  const p = state?.partitions[Math.floor(ctx.rand() * ctx.partitions)];
  return p && p.leader >= 0 ? p.leader : undefined;
}

async function controller(ctx: NemesisContext): Promise<number | undefined> {
  const state = await ctx.cluster.partitions(ctx.topic);
  return state && state.controller >= 0 ? state.controller : undefined;
}

async function cycle(schedule: Schedule, ctx: NemesisContext): Promise<void> {
  const { cluster, firewall, rand, log } = ctx;
  switch (schedule) {
    case 'kill-leader': {
      const victim = await leaderOf(ctx);
      if (victim === undefined) return;
      log(`SIGKILL broker ${victim} (a leader)`);
      await cluster.signal(victim, 'SIGKILL');
      await sleep(between(rand, 0, 5000));
      log(`restart broker ${victim}`);
      await cluster.startBroker(victim);
      return;
    }
    case 'pause-leader': {
      const victim = await leaderOf(ctx);
      if (victim === undefined) return;
      const hold = ctx.sessionTimeoutMs + between(rand, 1000, 4000);
      log(`SIGSTOP broker ${victim} (a leader) for ${hold} ms`);
      await cluster.signal(victim, 'SIGSTOP');
      await sleep(hold);
      log(`SIGCONT broker ${victim}`);
      await cluster.signal(victim, 'SIGCONT');
      return;
    }
    case 'isolate-leader': {
      const victim = await leaderOf(ctx);
      if (victim === undefined) return;
      const hold = ctx.sessionTimeoutMs + between(rand, 1000, 5000);
      const others = [...cluster.ids.filter((id) => id !== victim).map(brokerHost), ETCD_HOST];
      log(`cut broker ${victim} (a leader) from ${others.join(', ')} for ${hold} ms (clients still reach it)`);
      firewall.cut(brokerHost(victim), others);
      await sleep(hold);
      log('heal');
      firewall.heal();
      return;
    }
    case 'isolate-controller-from-etcd': {
      const victim = await controller(ctx);
      if (victim === undefined) return;
      const hold = ctx.sessionTimeoutMs + between(rand, 1000, 5000);
      log(`cut broker ${victim} (the controller) from etcd for ${hold} ms`);
      firewall.cut(brokerHost(victim), [ETCD_HOST]);
      await sleep(hold);
      log('heal');
      firewall.heal();
      return;
    }
    case 'bounce-all': {
      for (const id of cluster.ids) {
        if (ctx.done()) return;
        log(`SIGTERM broker ${id}`);
        await cluster.signal(id, 'SIGTERM');
        await sleep(between(rand, 0, 2000));
        log(`restart broker ${id}`);
        await cluster.startBroker(id);
        if (!(await waitHealthy(ctx, 30_000))) log('not healthy 30 s after the restart');
      }
      return;
    }
  }
}

/** Runs cycles of `schedule` until `ctx.done()`, each followed by recovery and a pause. */
export async function runNemesis(schedule: Schedule, ctx: NemesisContext): Promise<void> {
  await sleep(3000);
  while (!ctx.done()) {
    await cycle(schedule, ctx);
    if (!(await waitHealthy(ctx, 30_000))) ctx.log('not healthy 30 s after healing');
    await sleep(between(ctx.rand, 1000, 3000));
  }
}

/** Ends every fault: heals the network, resumes and restarts every broker. */
export async function healAll(ctx: Pick<NemesisContext, 'cluster' | 'firewall' | 'log'>): Promise<void> {
  ctx.firewall.heal();
  for (const id of ctx.cluster.ids) {
    await ctx.cluster.signal(id, 'SIGCONT');
    await ctx.cluster.startBroker(id);
  }
  ctx.log('healed: network restored, every broker running');
}
