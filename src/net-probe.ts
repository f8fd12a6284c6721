/**
 * Whether something accepts a connection (a TCP port or a Unix socket) within a short time:
 * `privacy reset` looks for a running Homebridge, the UI socket for a second one on its path.
 */
import { connect, type NetConnectOpts } from 'node:net';

export function answers(target: NetConnectOpts, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(target);
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
