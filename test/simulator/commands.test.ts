import { describe, expect, it } from 'vitest';
import { checkCommand, readEnvelope } from '../../src/simulator/commands.js';

describe('command envelope', () => {
  it('needs a JSON object with a transaction to be answerable at all', () => {
    expect(readEnvelope('nope')).toMatchObject({ ok: false, reason: expect.stringMatching(/JSON/) });
    expect(readEnvelope('[]')).toMatchObject({ ok: false });
    expect(readEnvelope('null')).toMatchObject({ ok: false });
    expect(readEnvelope('{"position":1}')).toMatchObject({ ok: false, reason: expect.stringMatching(/transaction/) });
    expect(readEnvelope('{"transaction":""}')).toMatchObject({ ok: false });
    expect(readEnvelope(Buffer.from('{"transaction":"t1","source":"cli","position":5}'))).toEqual({
      ok: true,
      transaction: 't1',
      source: 'cli',
      body: { transaction: 't1', source: 'cli', position: 5 },
    });
  });
});

describe('command body', () => {
  const valid = (type: Parameters<typeof checkCommand>[0], body: Record<string, unknown>) =>
    checkCommand(type, body, 'test');

  it('accepts what the protocol allows', () => {
    expect(valid('window', { position: 40 })).toEqual({ ok: true, command: { position: 40 } });
    expect(valid('window', { position: 40, force: true })).toEqual({ ok: true, command: { position: 40, force: true } });
    expect(valid('window', { position: 40, force: false })).toEqual({ ok: true, command: { position: 40 } });
    expect(valid('blind', { position: 0, force: true })).toEqual({ ok: true, command: { position: 0 } });
    expect(valid('shutter', { position: 99.6 })).toEqual({ ok: true, command: { position: 100 } });
    expect(valid('awning', { stop: true, extra: 1 })).toEqual({ ok: true, command: { stop: true } });
    expect(valid('departure_switch', { away: true })).toEqual({ ok: true, command: { away: true } });
  });

  it.each([
    ['window', { position: 101 }],
    ['window', { position: -0.5 }],
    ['window', { position: Number.NaN }],
    ['window', { position: '10' }],
    ['window', { stop: 'true' }],
    ['window', { stop: true, position: 3 }],
    ['window', { force: true }],
    ['blind', { position: 5, force: 1 }],
    ['departure_switch', {}],
    ['departure_switch', { away: 1 }],
    ['sensor', { position: 1 }],
  ] as const)('refuses %s %j', (type, body) => {
    expect(valid(type, body)).toMatchObject({ ok: false, message: expect.any(String) });
  });

  it('requires a source', () => {
    expect(checkCommand('window', { position: 1 }, undefined)).toMatchObject({ ok: false });
    expect(checkCommand('window', { position: 1 }, 7)).toMatchObject({ ok: false });
  });
});
