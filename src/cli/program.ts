/**
 * The `samsa` client commands (everything but `start`), on src/client: the global options here,
 * one file per command group under ./commands/.
 */
import { Command, CommanderError, Option } from 'commander';
import { registerClusterCommands } from './commands/cluster.js';
import { EXIT, collect, reportError } from './commands/common.js';
import { registerConfigCommands } from './commands/config.js';
import { registerConsumeCommand } from './commands/consume.js';
import { registerDevClusterCommand } from './commands/dev-cluster.js';
import { registerGroupCommands } from './commands/group.js';
import { registerPerfCommands } from './commands/perf.js';
import { registerProduceCommand } from './commands/produce.js';
import { registerTopicCommands } from './commands/topic.js';

export function buildProgram(): Command {
  const program = new Command('samsa')
    .description('Kafka-compatible broker and command-line client.\n\n`samsa start [server.properties] [--override key=value]...` runs a broker.')
    .option('-b, --brokers <list>', 'bootstrap servers, host:port[,host:port] (also SAMSA_BROKERS)')
    .option('--bootstrap-server <list>', 'alias of --brokers')
    .option('--profile <name>', 'named cluster from the profile file (also SAMSA_PROFILE)')
    .option('-X, --client-setting <key=value>', 'client setting (Kafka property names, e.g. -X client.id=me -X acks=1)', collect)
    .addOption(new Option('-o, --output <format>', 'output of listing commands').choices(['table', 'json', 'yaml']).default('table'))
    .addHelpText(
      'after',
      `
Brokers: -b, then SAMSA_BROKERS, then the profile (--profile / SAMSA_PROFILE / the file's default)
from $SAMSA_CONFIG or ~/.config/samsa/profiles.json, then localhost:9092.
Exit codes: 0 ok, 1 the cluster refused (Kafka error), 2 usage error, 3 cannot reach the cluster.`,
    )
    .showHelpAfterError('(samsa --help for usage)')
    .exitOverride();

  // `samsa start` is dispatched before this parser runs (src/cli/samsa.ts); listed for --help.
  program.command('start').description('run a broker: samsa start [server.properties] [--override key=value]...').allowUnknownOption().argument('[args...]');

  registerTopicCommands(program);
  registerProduceCommand(program);
  registerConsumeCommand(program);
  registerGroupCommands(program);
  registerClusterCommands(program);
  registerDevClusterCommand(program);
  registerConfigCommands(program);
  registerPerfCommands(program);
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  // `samsa ... | head`: a closed pipe ends the command quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : EXIT.USAGE;
      return;
    }
    process.exitCode = reportError(e);
  }
}
