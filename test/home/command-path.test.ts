import { describe, expect, it } from 'vitest';
import { CommandPath } from '../../src/home/command-path.js';
import type { CommandResult, DeviceCommand } from '../../src/gateway/types.js';
import type { HomeDevice } from '../../src/home/model.js';

const device = (key: string) => ({ key }) as HomeDevice;

function controllableSend() {
  const sent: Array<{ key: string; command: DeviceCommand; answer: (r: CommandResult) => void }> = [];
  const send = (d: HomeDevice, command: DeviceCommand) =>
    new Promise<CommandResult>((resolve) => sent.push({ key: d.key, command, answer: resolve }));
  return { sent, send };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('command path (per-device, latest wins)', () => {
  it('coalesces a burst in one event-loop turn into one command, answering every caller', async () => {
    const { sent, send } = controllableSend();
    const path = new CommandPath(send);
    const a = path.submit(device('w'), { position: 10 }, 'homekit');
    const b = path.submit(device('w'), { position: 20 }, 'homekit');
    const c = path.submit(device('w'), { position: 30 }, 'homekit');
    await tick();
    expect(sent.map((s) => s.command)).toEqual([{ position: 30 }]);
    sent[0]?.answer({ ok: true });
    expect(await a).toEqual({ ok: true, superseded: true });
    expect(await b).toEqual({ ok: true, superseded: true });
    expect(await c).toEqual({ ok: true });
  });

  it('sends only the newest of the commands that arrived while one was in flight, once', async () => {
    const { sent, send } = controllableSend();
    const path = new CommandPath(send);
    const first = path.submit(device('w'), { position: 10 }, 'homekit');
    await tick();
    const second = path.submit(device('w'), { position: 50 }, 'google');
    const third = path.submit(device('w'), { stop: true }, 'homekit');
    await tick();
    expect(sent).toHaveLength(1); // still waiting for the first answer
    sent[0]?.answer({ ok: false, error: 'rain', message: 'raining' });
    expect(await first).toEqual({ ok: false, error: 'rain', message: 'raining' });
    await tick();
    expect(sent.map((s) => s.command)).toEqual([{ position: 10 }, { stop: true }]);
    sent[1]?.answer({ ok: true });
    expect(await second).toEqual({ ok: true, superseded: true });
    expect(await third).toEqual({ ok: true });
    await tick();
    expect(sent).toHaveLength(2);
  });

  it('keeps devices independent', async () => {
    const { sent, send } = controllableSend();
    const path = new CommandPath(send);
    void path.submit(device('a'), { position: 1 }, 'homekit');
    void path.submit(device('b'), { position: 2 }, 'homekit');
    await tick();
    expect(sent.map((s) => s.key).sort()).toEqual(['a', 'b']);
  });

  it('answers a waiting command when its device is forgotten, and everything on stop', async () => {
    const { sent, send } = controllableSend();
    const path = new CommandPath(send);
    void path.submit(device('w'), { position: 10 }, 'homekit');
    await tick();
    const waiting = path.submit(device('w'), { position: 20 }, 'homekit');
    path.forget('w', { ok: false, error: 'unknown_device', message: 'removed' });
    expect(await waiting).toMatchObject({ ok: false, error: 'unknown_device' });
    path.stop();
    expect(await path.submit(device('x'), { position: 1 }, 'homekit')).toMatchObject({ ok: false, error: 'gateway_offline' });
    expect(sent).toHaveLength(1);
  });

  it('turns a throwing sender into an internal error instead of a rejection', async () => {
    const path = new CommandPath(() => Promise.reject(new Error('boom')));
    expect(await path.submit(device('w'), { position: 1 }, 'cli')).toEqual({ ok: false, error: 'internal', message: 'boom' });
  });
});
