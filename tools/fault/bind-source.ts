/**
 * Preloaded (`node --import`) into a fault-test broker or client: every TCP connection it opens to
 * a loopback address leaves from SAMSA_FAULT_SOURCE (e.g. 127.0.1.2), so iptables rules on
 * loopback can cut exactly one link (Linux would otherwise pick 127.0.0.1 as source for all).
 * Test-only; the product has no such setting, as Kafka has none.
 */
import net from 'node:net';

const source = process.env.SAMSA_FAULT_SOURCE;
if (source) {
  const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect passes its normalized [options, callback] array; direct calls pass options or (port, host).
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : first) as Partial<net.TcpSocketConnectOpts> | undefined;
    if (options && typeof options === 'object' && !('path' in options && options.path) && options.localAddress === undefined) {
      const host = options.host ?? 'localhost';
      if (host === 'localhost' || host.startsWith('127.')) options.localAddress = source;
    }
    return connect.apply(this, args);
  } as typeof net.Socket.prototype.connect;
}
