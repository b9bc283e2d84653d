/**
 * What every client command shares: the global options, the cluster they resolve to, and the
 * error → message + exit code policy. Exit codes: 0 success, 1 the cluster refused (a Kafka
 * error, named with what to do), 2 usage error, 3 cannot reach the cluster.
 */
import { Command, CommanderError } from 'commander';
import { Admin, ConnectionError, KafkaError, errorHint, type ItemResult } from '../../client/index.js';
import type { OutputFormat } from '../output.js';
import { checkSettings, clientOptions, resolveCluster, UsageError, type ResolvedCluster } from '../settings.js';

export const EXIT = { OK: 0, KAFKA: 1, USAGE: 2, CONNECTION: 3 } as const;

interface GlobalOpts {
  brokers?: string;
  bootstrapServer?: string;
  profile?: string;
  clientSetting?: string[];
  output: OutputFormat;
}

export type Globals = GlobalOpts & { cluster: ResolvedCluster };

export const collect = (v: string, prev: string[] = []) => [...prev, v];

export const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer, got "${v}"`);
  return n;
};

export function globals(cmd: Command): Globals {
  const o = cmd.optsWithGlobals() as GlobalOpts;
  const cluster = resolveCluster({ brokers: o.brokers ?? o.bootstrapServer, profile: o.profile, set: o.clientSetting });
  checkSettings(cluster.settings);
  return { ...o, cluster };
}

/** Runs an action with the error → message + exit code policy. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? EXIT.OK;
    } catch (e) {
      // Usage errors commander raised inside an action (help, unknown command) are runCli's to report.
      if (e instanceof CommanderError) throw e;
      process.exitCode = reportError(e);
    }
  };
}

export function reportError(e: unknown): number {
  if (e instanceof UsageError) {
    console.error(`samsa: ${e.message}`);
    return EXIT.USAGE;
  }
  if (e instanceof ConnectionError) {
    console.error(`samsa: ${e.message}`);
    if (!/bootstrap/.test(e.message)) console.error('  check --brokers / SAMSA_BROKERS / the profile, and that the broker is running');
    return EXIT.CONNECTION;
  }
  if (e instanceof KafkaError) {
    console.error(`samsa: ${e.message}`);
    return EXIT.KAFKA;
  }
  console.error(`samsa: ${(e as Error)?.message ?? String(e)}`);
  return EXIT.KAFKA;
}

/** Prints per-item failures; returns the exit code. */
export function itemResults(results: ItemResult[], what: string, ok: (name: string) => string, ignore: string[] = []): number {
  let failed = 0;
  for (const r of results) {
    if (!r.error || ignore.includes(r.error)) {
      console.error(ok(r.name) + (r.error ? ` (${r.error})` : ''));
      continue;
    }
    failed++;
    const hint = errorHint(r.errorCode);
    console.error(`samsa: ${what} ${r.name}: ${r.error}${r.errorMessage ? ` (${r.errorMessage})` : ''}${hint ? ` — ${hint}` : ''}`);
  }
  return failed ? EXIT.KAFKA : EXIT.OK;
}

export async function withAdmin<T>(cmd: Command, fn: (admin: Admin, g: Globals) => Promise<T>): Promise<T> {
  const g = globals(cmd);
  const admin = new Admin(clientOptions(g.cluster));
  try {
    return await fn(admin, g);
  } finally {
    await admin.close();
  }
}

/** Kafka's console tools name the topic with `--topic`; ours take it as the first argument. Either will do. */
export function topicOf(positional: string | undefined, flag: string | undefined, command: string): string {
  if (positional !== undefined && flag !== undefined && positional !== flag) throw new UsageError(`two topics given: ${positional} and --topic ${flag}`);
  const topic = positional ?? flag;
  if (topic === undefined) throw new UsageError(`no topic: samsa ${command} <topic>, or --topic <topic>`);
  return topic;
}

export const KAFKA_HELP = (tool: string) => `\nOptions marked [kafka] are those of ${tool}, for those who type them from habit.`;

/** `resetOffsets` → `--reset-offsets`. */
export const flagOf = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export interface KafkaToolFlags<O, M extends string> {
  /** kafka-topics, kafka-consumer-groups, ... */
  tool: string;
  /** The flags of which exactly one is given: --create, --list, ... */
  modes: readonly M[];
  /** How the tool names what it works on (--topic, --group), for the error about a stray argument. */
  nameWith: string;
  define: (parser: Command) => Command;
  run: (mode: M, o: O, cmd: Command) => Promise<number | void>;
}

/**
 * Lets a command with subcommands be typed as a kafka-* tool is (`samsa topic --create --topic t`).
 * The tool's flags have a parser of their own, used when no subcommand is named: declared on the
 * command itself, commander would take them from its subcommands' options of the same name.
 */
export function acceptKafkaToolFlags<O, M extends string>(command: Command, spec: KafkaToolFlags<O, M>): void {
  const name = `samsa ${command.name()}`;
  const parser = spec.define(new Command(name).helpOption(false).allowExcessArguments().exitOverride().showHelpAfterError(`(${name} --help for usage)`));
  command
    .helpCommand(true)
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', kafkaToolHelp(parser, spec.tool))
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const args = cmd.args;
        if (!args.length) cmd.help({ error: true });
        // What commander says of an unknown subcommand (with its "Did you mean"), as without these flags.
        if (!args[0]!.startsWith('-')) (cmd as unknown as { unknownCommand(): never }).unknownCommand();
        parser.parse(args, { from: 'user' });
        if (parser.args.length) throw new UsageError(`unexpected argument ${parser.args[0]}: name them with ${spec.nameWith}`);
        const o = parser.opts();
        const given = spec.modes.filter((m) => o[m]);
        if (given.length !== 1) throw new UsageError(`give one of ${spec.modes.map(flagOf).join(', ')}${given.length ? ` (got ${given.map(flagOf).join(' ')})` : ''}`);
        return spec.run(given[0]!, o as O, cmd);
      }),
    );
}

function kafkaToolHelp(parser: Command, tool: string): string {
  const help = parser.createHelp();
  const options = help.visibleOptions(parser);
  const width = Math.max(...options.map((o) => help.optionTerm(o).length));
  return `\nKafka-compatible flags, as ${tool} is typed (instead of a command):\n${options.map((o) => `  ${help.optionTerm(o).padEnd(width)}  ${help.optionDescription(o)}`).join('\n')}`;
}
