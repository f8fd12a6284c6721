/**
 * `velux-climate gateways discover` finds an emulated VELUX ACTIVE gateway by mDNS. mDNS is
 * multicast, so this runs in a private network namespace (`unshare -rn`, loopback only with
 * multicast switched on); it is skipped with a message where namespaces cannot be made.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from '../helpers/homebridge.js';

const SETUP = 'ip link set lo up && ip link set lo multicast on && (ip route add 224.0.0.0/4 dev lo 2>/dev/null || true)';

function namespacesWork(): string | undefined {
  const probe = spawnSync('unshare', ['-rn', 'sh', '-c', SETUP], { encoding: 'utf8' });
  if (probe.error) return `unshare is not available (${probe.error.message})`;
  if (probe.status !== 0) return `cannot make a network namespace here: ${probe.stderr.trim()}`;
  return undefined;
}

const skipReason = namespacesWork();
if (skipReason) console.warn(`Skipping the mDNS discovery test: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('velux-climate gateways discover (mDNS in a private network namespace)', () => {
  it('lists the emulated gateway with its address, port and that it is not paired yet', () => {
    ensureBuilt();
    const storage = mkdtempSync(join(tmpdir(), 'velux-discover-'));
    try {
      const script = fileURLToPath(new URL('./support/discover-in-netns.mjs', import.meta.url));
      const output = execFileSync('unshare', ['-rn', 'sh', '-c', `${SETUP} && exec "${process.execPath}" "${script}" "${storage}"`], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      const result = JSON.parse(output.trim().split('\n').at(-1)!) as {
        code: number;
        found: Array<{ name: string; id: string; host: string; port: number; model: string; paired: boolean }>;
        username: string;
        hapPort: number;
      };
      expect(result.code).toBe(0);
      expect(result.found).toEqual([{ name: 'VELUX Gateway', id: result.username, host: '127.0.0.1', port: result.hapPort, model: 'VELUX Gateway', paired: false }]);
    } finally {
      rmSync(storage, { recursive: true, force: true });
    }
  }, 90_000);
});
