/**
 * Three nodes behind one address serve the whole API (issue 15): the customer's journey of
 * test/support/customer-journey.ts — registration, catalog, an EPay recharge, an order paid and
 * provisioned, a ticket, the billing run and its PDF, an API key — runs through one round-robin
 * load balancer (test/support/tcp-balancer.ts) in front of three nodes on one database. Every
 * connection may land on any node; calls for a customer whose shard another node owns are
 * forwarded there. Afterwards: every node took connections, the shards are spread fairly, and
 * calls were forwarded between nodes.
 */
import { describe, expect, it } from 'vitest';
import { customerJourney } from '../support/customer-journey.ts';
import { startMoneyBed } from '../support/money-fixture.ts';
import { fairlySpreadOver, metricSum, nodeIds, readLeases, startNodes, type NodeSet } from '../support/nodes.ts';
import { startTcpBalancer, type TcpBalancer } from '../support/tcp-balancer.ts';

let nodes: NodeSet | undefined;
let balancer: TcpBalancer | undefined;
let databaseUrl = '';

customerJourney({
  title: "a customer's journey through one address in front of three nodes",
  startBed: () => startMoneyBed({
    start: async (server) => {
      databaseUrl = server.databaseUrl;
      nodes = await startNodes(3, {
        databaseUrl: server.databaseUrl,
        workers: 1,
        ...(server.config ? { config: server.config } : {}),
        ...(server.env ? { env: server.env } : {}),
      });
      balancer = await startTcpBalancer(nodes.nodes.map((node) => node.server.port));
      const first = nodes.nodes[0]?.server;
      if (!first) throw new Error('no node started');
      // The bed (its admin setup included) and the journey talk to the balancer's address only.
      return { ...first, port: balancer.port, url: balancer.url };
    },
  }),
  stopBed: async (bed) => {
    await balancer?.close();
    await nodes?.stopAll();
    await bed.stop();
  },
});

describe('the three nodes behind the address', () => {
  it('each took connections, the shards are spread fairly, and calls were forwarded between nodes', async () => {
    if (!nodes || !balancer) throw new Error('the journey did not start its nodes');
    for (const node of nodes.nodes) expect(balancer.connections.get(node.server.port)).toBeGreaterThan(0);
    const ids = await nodeIds(nodes.nodes);
    expect(new Set(ids).size).toBe(3);
    expect(fairlySpreadOver(ids)(await readLeases(databaseUrl))).toBe(true);
    let forwarded = 0;
    for (const node of nodes.nodes) {
      forwarded += metricSum(await (await fetch(`${node.url}/metrics`)).text(), 'nodebill_actor_messages_total', { route: 'node_forwarded' });
    }
    expect(forwarded).toBeGreaterThan(0);
  });
});
