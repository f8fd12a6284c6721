/**
 * Broker outage: the broker's listener goes away (clients cut off) and comes back on the same
 * port with its retained messages, some of which changed meanwhile.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { MqttGateway } from '../../../src/gateway/mqtt/gateway.js';
import { Home } from '../../../src/home/model.js';
import { recordingLogger, waitFor } from '../../helpers/log.js';

function retain(aedes: Aedes, topic: string, payload: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    aedes.publish(
      { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: true, dup: false },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
}

describe('reconnect', () => {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let aedes: Aedes;

  afterAll(async () => {
    server?.close();
    await new Promise<void>((r) => aedes.close(() => r()));
  });

  function listen(port: number): Promise<number> {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      aedes.handle(socket);
    });
    return new Promise((resolve) => server!.listen(port, '127.0.0.1', () => resolve((server!.address() as AddressInfo).port)));
  }

  it('marks devices unreachable during an outage, refuses commands, and rebuilds from retained state on return', async () => {
    aedes = await Aedes.createBroker();
    const port = await listen(0);
    const base = 'reconnect';
    await retain(aedes, `${base}/bridge/state`, { state: 'online' });
    await retain(aedes, `${base}/bridge/info`, { protocol: 1, gateway: { id: 'gw' } });
    await retain(aedes, `${base}/bridge/devices`, [{ id: 'w', type: 'window', name: 'Window', room: 'Attic' }]);
    await retain(aedes, `${base}/w`, { position: 10, target: 10, motion: 'stopped' });

    const log = recordingLogger();
    const home = new Home({ log });
    home.addGateway(new MqttGateway({ name: 'GW', url: `mqtt://127.0.0.1:${port}`, baseTopic: base }, log));
    await home.start();
    await waitFor(() => home.device(`${base}/w`)?.reachable, 5000, 'reachable');

    // Outage: stop listening and cut every client off.
    await new Promise<void>((r) => {
      server!.close(() => r());
      for (const s of sockets) s.destroy();
    });
    await waitFor(() => !home.device(`${base}/w`)?.reachable, 3000, 'unreachable');
    expect(await home.command(`${base}/w`, { position: 90 }, 'homekit')).toMatchObject({ ok: false, error: 'gateway_offline' });
    expect(log.text('warn').some((l) => l.includes('lost the connection'))).toBe(true);

    // While down, the gateway's retained state changes (the broker keeps it).
    await retain(aedes, `${base}/w`, { position: 60, target: 60, motion: 'stopped' });
    await new Promise((r) => setTimeout(r, 1500)); // let the backoff grow
    const back = Date.now();
    await listen(port);
    await waitFor(() => home.device(`${base}/w`)?.reachable, 5000, 'reachable again');
    const recoveryMs = Date.now() - back;
    expect(recoveryMs).toBeLessThan(2500);
    expect(home.device(`${base}/w`)?.state.position).toBe(60);
    await home.stop();
  });
});
