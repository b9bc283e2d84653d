/** `samsa perf produce|consume|e2e`: load generators (src/cli/perf.ts, loaded on use). */
import { Command, Option } from 'commander';
import { action, globals, int } from './common.js';

export function registerPerfCommands(program: Command): void {
  const perf = program.command('perf').description('load generators');
  perf
    .command('produce')
    .description('produce pre-encoded batches as fast as allowed; prints throughput and latency percentiles')
    .argument('<topic>')
    .option('-n, --records <n>', 'records to send', int('--records'), 1_000_000)
    .option('-s, --record-size <bytes>', 'value size', int('--record-size'), 100)
    .option('--rate <records/s>', 'throttle (default: unlimited)', int('--rate'))
    .option('--batch <records>', 'records per batch', int('--batch'), 500)
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements').choices(['all', '-1', '0', '1']).default('1'))
    .addOption(new Option('-z, --compression <codec>', 'compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .option('-P, --partitions <n>', 'create the topic with n partitions if missing', int('--partitions'), 8)
    .option('-c, --connections <n>', 'connections per broker', int('--connections'), 2)
    .option('--in-flight <n>', 'requests in flight per connection', int('--in-flight'), 8)
    .option('--json', 'print a JSON summary')
    .action(action(async (t: string, o: Record<string, unknown>, cmd: Command) => (await import('../perf.js')).perfProduce(t, o as never, globals(cmd).cluster)));
  perf
    .command('consume')
    .description('consume from the start and report throughput')
    .argument('<topic>')
    .option('-n, --records <n>', 'stop after n records (default: at the end)', int('--records'))
    .option('--json', 'print a JSON summary')
    .action(action(async (t: string, o: Record<string, unknown>, cmd: Command) => (await import('../perf.js')).perfConsume(t, o as never, globals(cmd).cluster)));
  perf
    .command('e2e')
    .description('end-to-end latency: produce at a fixed rate while a consumer reads; prints throughput and latency percentiles')
    .argument('<topic>')
    .option('-n, --records <n>', 'records to send', int('--records'), 10_000)
    .option('-s, --record-size <bytes>', 'value size (at least 12)', int('--record-size'), 100)
    .option('--rate <records/s>', 'records per second', int('--rate'), 1_000)
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements').choices(['all', '-1', '0', '1']).default('1'))
    .addOption(new Option('-z, --compression <codec>', 'compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .option('-P, --partitions <n>', 'create the topic with n partitions if missing', int('--partitions'), 8)
    .option('--json', 'print a JSON summary')
    .action(action(async (t: string, o: Record<string, unknown>, cmd: Command) => (await import('../perf.js')).perfE2e(t, o as never, globals(cmd).cluster)));
}
