import { describe, expect, it } from 'vitest';
import { readSmartHomeRequest } from '../../src/google/request-schema.js';

const query = (devices: unknown) => ({ requestId: '1', inputs: [{ intent: 'action.devices.QUERY', payload: { devices } }] });
const execute = (commands: unknown) => ({ requestId: '1', inputs: [{ intent: 'action.devices.EXECUTE', payload: { commands } }] });
const command = (execution: unknown, devices: unknown = [{ id: 'a' }]) => ({ devices, execution });

describe('the fulfillment request check', () => {
  it('reads the four intents, keeps free-form data and drops unknown fields', () => {
    expect(readSmartHomeRequest({ requestId: '9', inputs: [{ intent: 'action.devices.SYNC', x: 1 }], extra: true })).toEqual({
      ok: true,
      request: { requestId: '9', inputs: [{ intent: 'action.devices.SYNC' }] },
    });
    expect(readSmartHomeRequest({ requestId: '9', inputs: [{ intent: 'action.devices.DISCONNECT' }] }).ok).toBe(true);
    expect(readSmartHomeRequest(query([{ id: 'a', customData: { k: [1] }, other: 2 }]))).toEqual({
      ok: true,
      request: query([{ id: 'a', customData: { k: [1] } }]),
    });
    const full = execute([command([{ command: 'action.devices.commands.OnOff', params: { on: true }, challenge: { pin: '1234', ack: true, x: 1 } }])]);
    expect(readSmartHomeRequest(full)).toEqual({
      ok: true,
      request: execute([command([{ command: 'action.devices.commands.OnOff', params: { on: true }, challenge: { pin: '1234', ack: true } }])]),
    });
  });

  it.each([
    ['not an object', [], 'body'],
    ['no requestId', { inputs: [{ intent: 'action.devices.SYNC' }] }, 'requestId'],
    ['an empty requestId', { requestId: '', inputs: [] }, 'requestId'],
    ['no input', { requestId: '1', inputs: [] }, 'inputs'],
    ['two inputs', { requestId: '1', inputs: [{ intent: 'action.devices.SYNC' }, { intent: 'action.devices.SYNC' }] }, 'inputs'],
    ['an input that is no object', { requestId: '1', inputs: [5] }, 'inputs.0'],
    ['an unknown intent', { requestId: '1', inputs: [{ intent: 'action.devices.REBOOT' }] }, 'inputs.0.intent'],
    ['an inherited name as intent', { requestId: '1', inputs: [{ intent: 'constructor' }] }, 'inputs.0.intent'],
    ['a QUERY without payload', { requestId: '1', inputs: [{ intent: 'action.devices.QUERY' }] }, 'inputs.0.payload'],
    ['a device without id', query([{ id: 'a' }, {}]), 'inputs.0.payload.devices.1.id'],
    ['an id over 512 characters', query([{ id: 'x'.repeat(513) }]), 'inputs.0.payload.devices.0.id'],
    ['customData that is a list', query([{ id: 'a', customData: [] }]), 'inputs.0.payload.devices.0.customData'],
    ['over 1,000 devices', query(Array.from({ length: 1001 }, () => ({ id: 'a' }))), 'inputs.0.payload.devices'],
    ['no commands', execute([]), 'inputs.0.payload.commands'],
    ['over 100 commands', execute(Array.from({ length: 101 }, () => command([{ command: 'c' }]))), 'inputs.0.payload.commands'],
    ['a command without execution', execute([command([])]), 'inputs.0.payload.commands.0.execution'],
    ['over 20 executions', execute([command(Array.from({ length: 21 }, () => ({ command: 'c' })))]), 'inputs.0.payload.commands.0.execution'],
    ['an empty command name', execute([command([{ command: '' }])]), 'inputs.0.payload.commands.0.execution.0.command'],
    ['params that are a string', execute([command([{ command: 'c', params: 'on' }])]), 'inputs.0.payload.commands.0.execution.0.params'],
    ['a PIN that is a number', execute([command([{ command: 'c', challenge: { pin: 1234 } }])]), 'inputs.0.payload.commands.0.execution.0.challenge.pin'],
    ['an ack that is a string', execute([command([{ command: 'c', challenge: { ack: 'yes' } }])]), 'inputs.0.payload.commands.0.execution.0.challenge.ack'],
  ])('refuses %s and names where', (_what, body, where) => {
    expect(readSmartHomeRequest(body)).toEqual({ ok: false, where });
  });
});
