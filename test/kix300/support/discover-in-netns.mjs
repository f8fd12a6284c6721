// Runs inside a fresh network namespace (unshare -rn, loopback only): an emulated KIX 300
// advertising itself with mDNS, and `velux-climate gateways discover --json` looking for it.
import { PassThrough } from 'node:stream';
const dist = new URL('../../../dist/', import.meta.url);
const { Kix300Emulator } = await import(new URL('simulator/kix300.js', dist).href);
const { main } = await import(new URL('cli/cli.js', dist).href);
const storage = process.argv[2];
const emulator = new Kix300Emulator({ advertise: true, storagePath: `${storage}/emulator` });
await emulator.start();
const stdout = new PassThrough();
let out = '';
stdout.on('data', (c) => (out += c));
const code = await main(['--storage', storage, 'gateways', 'discover', '--seconds', '4', '--json'], { stdout, stderr: process.stderr, interactive: false, readSecret: async () => '' });
await emulator.stop();
console.log(JSON.stringify({ code, found: JSON.parse(out || '[]'), username: emulator.username, hapPort: emulator.advertisedPort }));
process.exit(0);
