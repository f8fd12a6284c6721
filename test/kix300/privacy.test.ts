/**
 * The VELUX ACTIVE pairing keys under `velux-climate privacy`: redacted by export, removed by
 * reset, and the file is 0600.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PairingStore, pairingsPath } from '../../src/gateway/kix300/pairing-store.js';
import { blockDir, bridgePart, runCli } from '../privacy/fixture.js';

const hex = (n: number) => randomBytes(n).toString('hex');

describe('VELUX ACTIVE pairing keys and privacy', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const stored = () => {
    const storage = mkdtempSync(join(tmpdir(), 'velux-kix-privacy-'));
    dirs.push(storage);
    const keys = { AccessoryPairingID: '0E:11:22:33:44:55', AccessoryLTPK: hex(32), iOSDevicePairingID: 'c0ffee00-1111-2222-3333-444455556666', iOSDeviceLTSK: hex(64), iOSDeviceLTPK: hex(32) };
    new PairingStore(blockDir(storage)).save('homekit:attic-gateway', { keys, host: '192.168.1.20', port: 5001, pairedAt: new Date().toISOString() });
    return { storage, keys };
  };

  it('keeps the keys in a 0600 file that privacy export shows only redacted', async () => {
    const { storage, keys } = stored();
    expect(statSync(pairingsPath(blockDir(storage))).mode & 0o777).toBe(0o600);
    expect(readFileSync(pairingsPath(blockDir(storage)), 'utf8')).toContain(keys.iOSDeviceLTSK);
    const { code, out } = await runCli(storage, ['privacy', 'export']);
    expect(code).toBe(0);
    const data = bridgePart(JSON.parse(out)) as unknown as { files: Record<string, { gateways: Record<string, { keys: Record<string, string>; host: string }> }> };
    const entry = data.files['homekit-pairings.json']!.gateways['homekit:attic-gateway']!;
    expect(entry.keys).toMatchObject({ iOSDeviceLTSK: '[secret]', iOSDeviceLTPK: '[secret]', AccessoryLTPK: '[secret]' });
    expect(entry.host).toBe('192.168.1.20');
    for (const secret of [keys.iOSDeviceLTSK, keys.iOSDeviceLTPK, keys.AccessoryLTPK]) expect(out).not.toContain(secret);
  });

  it('privacy reset removes the pairings and says the gateway must be reset to pair again', async () => {
    const { storage } = stored();
    const { code, out } = await runCli(storage, ['privacy', 'reset', '--yes']);
    expect(code).toBe(0);
    expect(out).toContain('HomeKit pairings with VELUX ACTIVE gateways');
    expect(out).toContain('homekit-pairings.json');
    expect(out).toContain('reset the gateway');
    expect(existsSync(pairingsPath(blockDir(storage)))).toBe(false);
  });
});
