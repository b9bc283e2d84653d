/**
 * Network faults on loopback with iptables (root): DROP rules between two addresses, both ways,
 * in a chain the harness owns (SAMSA-FAULT, jumped to from OUTPUT, which every loopback packet
 * crosses); healing flushes the chain. Addresses are separated by bind-source.ts.
 */
import { execFileSync } from 'node:child_process';

export const CHAIN = 'SAMSA-FAULT';

function iptables(...args: string[]): string {
  return execFileSync('iptables', ['-w', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class Firewall {
  private cuts: string[] = [];

  /** Creates the chain (empty) and its jump; fails with the reason when iptables is missing or not root. */
  static open(): Firewall {
    try {
      iptables('-L', 'OUTPUT', '-n');
    } catch (e) {
      throw new Error(`iptables is needed for network faults (Debian package iptables, run as root): ${(e as Error).message}`);
    }
    try {
      iptables('-N', CHAIN);
    } catch {
      iptables('-F', CHAIN); // left over from an interrupted run
    }
    try {
      iptables('-C', 'OUTPUT', '-j', CHAIN);
    } catch {
      iptables('-I', 'OUTPUT', '-j', CHAIN);
    }
    return new Firewall();
  }

  /** Drops every packet between `a` and each of `others`, both directions. */
  cut(a: string, others: string[]): void {
    for (const b of others) {
      iptables('-A', CHAIN, '-s', a, '-d', b, '-j', 'DROP');
      iptables('-A', CHAIN, '-s', b, '-d', a, '-j', 'DROP');
      this.cuts.push(`${a}<->${b}`);
    }
  }

  /** What is cut now, for the run's log. */
  active(): string[] {
    return [...this.cuts];
  }

  heal(): void {
    iptables('-F', CHAIN);
    this.cuts = [];
  }

  /** Removes the chain and its jump. */
  close(): void {
    this.heal();
    try {
      iptables('-D', 'OUTPUT', '-j', CHAIN);
      iptables('-X', CHAIN);
    } catch {
      // already gone
    }
  }
}
