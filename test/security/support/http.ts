/**
 * Plain HTTP clients for the security tests: one request per connection with Node's own
 * client (which refuses to send what HTTP forbids), and a raw socket for everything it
 * refuses (broken request lines, bad lengths, smuggling attempts).
 */
import { request } from 'node:http';
import { connect } from 'node:net';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What a body must never show: a stack frame, a source path, a module path. */
export const INTERNALS = /\bat\s+\S+\s+\(|\bat\s+(?:file:|node:|\/)|node_modules|\/work\/|\/src\/|\.ts:\d+|\.js:\d+|file:\/\//;

/** Sends one request on its own connection; the answer, or the client-side error if none came. */
export function send(port: number, req: FuzzRequest, timeoutMs = 10_000): Promise<FuzzResponse | { error: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (value: FuzzResponse | { error: string }) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    let r: ReturnType<typeof request>;
    try {
      r = request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers: req.headers, agent: false, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => finish({ status: res.statusCode ?? 0, headers: res.headers, body: `${Buffer.concat(chunks).toString('utf8')}[${err.message}]` }));
      });
    } catch (err) {
      // Node's client refused to build it (e.g. an invalid header): not sent at all.
      return finish({ error: `not sent: ${err instanceof Error ? err.message : String(err)}` });
    }
    r.on('timeout', () => {
      r.destroy();
      finish({ error: 'timeout' });
    });
    // A server that answers before reading a big body may close the socket under us.
    r.on('error', (err) => finish({ error: err.message }));
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}

/**
 * Writes raw bytes on a fresh connection, half-closes it, and collects what comes back
 * until the server closes (or `timeoutMs`). Returns every status line seen.
 */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 2000): Promise<{ statuses: number[]; text: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ statuses, text });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', () => {
      socket.write(bytes);
      socket.end();
    });
  });
}
