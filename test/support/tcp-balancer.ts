import net from 'node:net';

/** A running {@link startTcpBalancer}. */
export interface TcpBalancer {
  port: number;
  url: string;
  /** Connections handed to each upstream port so far. */
  connections: Map<number, number>;
  close(): Promise<void>;
}

/**
 * A load balancer in front of several nodes for tests (issue 15), where Caddy is not installed:
 * each incoming TCP connection goes to the next upstream in turn (round robin), an upstream that
 * refuses the connection is skipped, and bytes are piped both ways. A connection carries native
 * gRPC (HTTP/2), gRPC-Web or plain HTTP unchanged, as Caddy's layer-4 proxying would.
 */
export async function startTcpBalancer(upstreamPorts: readonly number[]): Promise<TcpBalancer> {
  const connections = new Map<number, number>(upstreamPorts.map((port) => [port, 0]));
  let next = 0;
  const sockets = new Set<net.Socket>();
  const connect = (client: net.Socket, tries: number): void => {
    const port = upstreamPorts[next % upstreamPorts.length] ?? 0;
    next += 1;
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.once('error', () => {
      if (!upstream.readyState.startsWith('open') && tries + 1 < upstreamPorts.length && !client.destroyed) connect(client, tries + 1);
      else client.destroy();
    });
    upstream.once('connect', () => {
      connections.set(port, (connections.get(port) ?? 0) + 1);
      client.pipe(upstream);
      upstream.pipe(client);
      client.once('error', () => upstream.destroy());
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      client.resume();
    });
  };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    connect(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
