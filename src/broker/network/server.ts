import { createServer, type Server, type Socket } from 'node:net';
import type { Listener } from '../config.js';
import { Connection, type ConnectionOptions } from './connection.js';

/** A TCP listener accepting Kafka connections. */
export class KafkaServer {
  private readonly connections = new Set<Connection>();
  private server: Server | undefined;
  port = 0;

  constructor(
    readonly listener: Listener,
    private readonly options: Omit<ConnectionOptions, 'listenerName'>,
  ) {}

  async start(): Promise<void> {
    const server = createServer({ noDelay: true }, (socket: Socket) => {
      const c = new Connection(socket, { ...this.options, listenerName: this.listener.name }, (closed) => this.connections.delete(closed));
      this.connections.add(c);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.listener.port, host: this.listener.host || undefined }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : this.listener.port;
  }

  private closed: Promise<void> | undefined;

  /** Accepts no more connections and reads no more requests; those already read are still answered. */
  stopAccepting(): void {
    const server = this.server;
    if (!server || this.closed) return;
    this.closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.connections) c.stopReading();
  }

  /** Stops accepting, lets connections finish the requests they sent, then closes them. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.server) return;
    this.stopAccepting();
    const closed = this.closed!;
    const draining = Promise.all([...this.connections].map((c) => c.drain()));
    await Promise.race([draining, new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const c of this.connections) c.close('shutdown');
    await closed;
  }
}
