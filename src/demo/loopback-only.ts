/**
 * Preloaded (`node --import`) into the demo's Homebridge unless `--lan`: every TCP server of
 * that process listens on 127.0.0.1. HAP-NodeJS binds the unspecified address even when the
 * bridge's `bind` names 127.0.0.1 (bind only limits what it advertises), so without this the
 * demo's HomeKit bridge, with its published setup code, would be reachable from the network.
 * Unix sockets and servers that already name a specific address are left alone.
 */
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const UNSPECIFIED = new Set(['0.0.0.0', '::', '', undefined]);

const original = net.Server.prototype.listen;

function isPort(value: unknown): boolean {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

net.Server.prototype.listen = function listenOnLoopback(this: net.Server, ...args: unknown[]) {
  const [first, second] = args;
  if (first !== null && typeof first === 'object' && !('_handle' in first) && !('fd' in first) && !('path' in first)) {
    const options = first as net.ListenOptions;
    if (UNSPECIFIED.has(options.host)) args[0] = { ...options, host: LOOPBACK, ipv6Only: false };
  } else if (isPort(first) || first === undefined) {
    if (typeof second === 'string') {
      if (UNSPECIFIED.has(second)) args[1] = LOOPBACK;
    } else {
      args.splice(1, 0, LOOPBACK);
      if (first === undefined) args[0] = 0;
    }
  }
  return (original as (...a: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;
