/**
 * `samsa start`: loaded only for that command, so client commands never load broker code.
 * `samsa start [server.properties] [--override key=value]...` runs a broker
 * with Kafka's configuration keys; environment variables KAFKA_* / KAFKA_CFG_* apply too.
 */
import { Broker } from '../broker/broker.js';
import { BrokerConfig, ConfigError } from '../broker/config.js';

const USAGE = `usage: samsa start [server.properties] [--override key=value]...

Starts a Kafka-compatible broker. With no arguments: PLAINTEXT on port 9092 advertised as
localhost:9092, data in ./data/samsa-logs, topics auto-created with 1 partition.`;

export async function start(args: string[]): Promise<number> {
  let file: string | undefined;
  const overrides: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--override' || a === '-o') {
      const kv = args[++i];
      const eq = kv?.indexOf('=') ?? -1;
      if (!kv || eq <= 0) {
        console.error(`samsa: --override needs key=value`);
        return 2;
      }
      overrides[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a.startsWith('--override=')) {
      const kv = a.slice('--override='.length);
      const eq = kv.indexOf('=');
      if (eq <= 0) {
        console.error(`samsa: --override needs key=value`);
        return 2;
      }
      overrides[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    } else if (!a.startsWith('-') && file === undefined) {
      file = a;
    } else {
      console.error(`samsa: unknown argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  let config: BrokerConfig;
  try {
    config = BrokerConfig.fromSources({ file, env: process.env, overrides });
  } catch (e) {
    console.error(`samsa: ${e instanceof ConfigError ? e.message : String(e)}`);
    return 1;
  }
  const broker = new Broker({ config });
  try {
    await broker.start();
  } catch (e) {
    console.error(`samsa: cannot start: ${(e as Error).message}`);
    await broker.close().catch(() => undefined);
    return 1;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    broker.logger.info('shutting down', { signal });
    broker.close().then(
      () => process.exit(0),
      (e) => {
        console.error(`samsa: shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The banner says "ready", so the handlers come first: a supervisor that stops us the moment it
  // reads the banner must get a graceful stop, not the default SIGTERM death.
  console.log(broker.banner());
  // A bug in one background task must not take every client's broker down: log it loudly and
  // keep serving (requests already fail safely: their connection is closed).
  process.on('unhandledRejection', (reason) => broker.logger.error('unhandled rejection', { error: reason }));
  return -1; // keep running
}

