import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { ConnectionInjector } from '@grpc/grpc-js';

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/**
 * One TCP port for everything (NOTES.md, "One port for gRPC, gRPC-Web and HTTP"): each connection's
 * first bytes are read and put back; the HTTP/2 preface goes to @grpc/grpc-js, anything else to a
 * node:http server (gRPC-Web, /health, /ready, /metrics).
 */
export class OnePortListener {
  readonly netServer: Server;
  readonly httpServer: ReturnType<typeof createHttpServer>;
  private readonly sockets = new Set<Socket>();

  constructor(injector: ConnectionInjector, httpHandler: (request: IncomingMessage, response: ServerResponse) => void) {
    this.httpServer = createHttpServer({ keepAliveTimeout: 5_000 }, httpHandler);
    this.netServer = createNetServer({ pauseOnConnect: false }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.once('error', () => socket.destroy());
      let buffered = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        buffered = Buffer.concat([buffered, chunk]);
        const compared = Math.min(buffered.length, HTTP2_PREFACE.length);
        const isHttp2 = buffered.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared));
        if (isHttp2 && buffered.length < HTTP2_PREFACE.length) return; // need more bytes to decide
        socket.off('data', onData);
        socket.pause();
        socket.unshift(buffered);
        if (isHttp2) {
          // node:http2 drains the socket's buffered bytes into its session itself; resuming the
          // socket here would emit (and lose) the preface before the session reads it.
          injector.injectConnection(socket);
        } else {
          this.httpServer.emit('connection', socket);
          socket.resume();
        }
      };
      socket.on('data', onData);
    });
  }

  /**
   * Starts listening; resolves with the bound port. Every worker binds its own socket on the shared
   * port (`SO_REUSEPORT`; `exclusive`, so not through the cluster primary): the kernel spreads new
   * connections over the workers' sockets, and a connection is only ever held by the worker that
   * serves it. Through the primary (Node's round-robin), a worker killed while the primary was
   * handing it a connection left that connection open in the primary, unanswered (CLOSE-WAIT) and
   * the client waiting for its deadline; now a dying worker's connections, accepted or still queued
   * on its socket, are reset by the kernel and their clients fail at once.
   */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.netServer.once('error', reject);
      this.netServer.listen({ port, host, reusePort: true, exclusive: true }, () => {
        this.netServer.off('error', reject);
        const address = this.netServer.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /**
   * Stops accepting new connections and ends idle HTTP/1.1 keep-alive connections (busy ones close
   * after their response); HTTP/2 sessions are left to their owner (grpc-js `tryShutdown`).
   */
  stopAccepting(): void {
    this.netServer.close();
    this.httpServer.close();
    this.httpServer.closeIdleConnections();
  }

  /**
   * Closes idle HTTP/1.1 keep-alive connections, gives busy ones up to `graceMs` to finish their
   * response, then destroys whatever remains.
   */
  async closeConnections(graceMs = 1_000): Promise<void> {
    this.httpServer.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.sockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      this.httpServer.closeIdleConnections();
    }
    for (const socket of this.sockets) socket.destroy();
  }
}
