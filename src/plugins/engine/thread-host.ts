/**
 * Inside a sandbox thread: the {@link HostServices} the host bindings (host-bindings.ts) talk to.
 * HTTP, SMTP and state are requests to the main thread, which owns the real host services
 * (circuit breakers, connection pools, PostgreSQL) and answers them (host-relay.ts); script log
 * lines are sent there as well. Hashing, JSON and base64 helpers never leave the thread.
 */
import type { MessagePort } from 'node:worker_threads';
import type { EmailMessage, HostServices, OutboundRequest, OutboundResponse, SmtpConfig } from '../types.ts';
import type { HostReplyMessage, HostRequest, HttpAnswer, ThreadMessage } from './protocol.ts';

/** The host services of one task, plus the end of the task. */
export interface ThreadHost extends HostServices {
  /** Routes a `host-reply` to the waiting host call (replies for other or ended tasks are ignored). */
  answer(reply: HostReplyMessage): void;
  /** Ends the task: host calls still waiting fail, later replies are ignored. */
  end(): void;
}

interface Pending {
  resolve(value: HttpAnswer | string | undefined): void;
  reject(error: Error): void;
}

function isHttpAnswer(value: HttpAnswer | string | undefined): value is HttpAnswer {
  return typeof value === 'object' && value !== null;
}

/**
 * Creates the host of job `job`, sending over `port` (the thread's `parentPort`).
 * Each method resolves with the main thread's answer, or rejects with an `Error` carrying the
 * host failure's message (which the bindings throw into the script as a HostError).
 */
export function createThreadHost(port: MessagePort, job: number): ThreadHost {
  const pending = new Map<number, Pending>();
  let nextRequest = 1;
  let ended = false;

  function send(message: ThreadMessage): void {
    port.postMessage(message);
  }

  function request(call: HostRequest): Promise<HttpAnswer | string | undefined> {
    if (ended) return Promise.reject(new Error('the plugin call has ended'));
    const id = nextRequest++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      send({ type: 'host', job, request: id, call });
    });
  }

  return {
    log(level, message) {
      if (!ended) send({ type: 'script-log', job, level, message });
    },
    async http(outbound: OutboundRequest): Promise<OutboundResponse> {
      const { signal: _signal, ...plain } = outbound;
      const answer = await request({ op: 'http', request: plain });
      if (!isHttpAnswer(answer)) throw new Error('the host answered an HTTP request without a response');
      return { status: answer.status, headers: answer.headers, bodyBytes: answer.bodyBytes, body: new TextDecoder().decode(answer.bodyBytes) };
    },
    async smtpSend(config: SmtpConfig, email: EmailMessage): Promise<void> {
      await request({ op: 'smtpSend', config, email });
    },
    async stateGet(_interfaceId: string, key: string): Promise<string> {
      const value = await request({ op: 'stateGet', key });
      return typeof value === 'string' ? value : '';
    },
    async stateSet(_interfaceId: string, key: string, value: string): Promise<void> {
      await request({ op: 'stateSet', key, value });
    },
    answer(reply) {
      if (reply.job !== job) return;
      const waiting = pending.get(reply.request);
      if (!waiting) return;
      pending.delete(reply.request);
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(new Error(reply.message));
    },
    end() {
      ended = true;
      for (const waiting of pending.values()) waiting.reject(new Error('the plugin call has ended'));
      pending.clear();
    },
  };
}
