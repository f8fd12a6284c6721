/**
 * Keeps TCP servers on 127.0.0.1: HAP-NodeJS binds the unspecified address even when `bind`
 * names 127.0.0.1 (bind only limits what it advertises), so a HomeKit server with a published
 * setup code would be reachable from the network. While the patch is on, every server that asks
 * for the unspecified address (or none) listens on 127.0.0.1 instead; Unix sockets and servers
 * that name a specific address are left alone. Used by the demo's Homebridge (a preload) and the
 * emulated KIX 300 (while it starts its HAP server).
 */
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const UNSPECIFIED = new Set(['0.0.0.0', '::', '', undefined]);

function isPort(value: unknown): boolean {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

/** Turns the patch on; the function returned turns it off again. */
export function listenOnLoopbackOnly(): () => void {
  const original = net.Server.prototype.listen;
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
  return () => {
    net.Server.prototype.listen = original;
  };
}
