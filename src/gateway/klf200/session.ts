/**
 * One session with a KLF 200: the TLS socket the plugin opens itself (certificate pinning,
 * since the KLF's certificate names no host and VELUX's has expired; an error handler that
 * stays; a close event the library does not give), handed to a new klf-200-api Connection,
 * and requests bounded by a timeout that ends the whole session.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Connection } from 'klf-200-api';

export const KLF_PORT = 51200;
/** SHA-1 fingerprint of the certificate VELUX ships on the KLF 200 (expired 2026-07-12). */
export const VELUX_FINGERPRINT = '02:8C:23:A0:89:2B:62:98:C4:99:00:5B:D2:E7:2E:0A:70:3D:71:6A';

export class SessionError extends Error {
  constructor(
    message: string,
    readonly kind: 'handshake' | 'certificate' | 'login' | 'timeout' | 'closed' | 'other',
  ) {
    super(message);
  }
}

/** One live session: the socket, the library's connection, and how it ended. */
export interface Session {
  socket: TLSSocket;
  conn: Connection;
  closed: Promise<string>;
  close: (reason: string) => void;
  isClosed: () => boolean;
}

export interface TlsTarget {
  host: string;
  port?: number;
  /** A CA that vouches for the gateway's certificate, instead of the pinned fingerprint. */
  ca?: Buffer;
  /** Normalised SHA-1 fingerprint (normalizeFingerprint); '' = none pinned. */
  fingerprint: string;
  timeoutMs: number;
}

/** Opens the TLS socket and checks the gateway's certificate (pinned fingerprint or CA). */
export function connectTls(target: TlsTarget): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: SessionError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const socket = tlsConnect({
      host: target.host,
      port: target.port ?? KLF_PORT,
      // Verified below: the KLF's certificate names no host and VELUX's has expired.
      rejectUnauthorized: false,
      ca: target.ca ? [target.ca] : undefined,
    });
    const timer = setTimeout(() => fail(new SessionError('no TLS handshake within the timeout', 'handshake')), target.timeoutMs);
    socket.once('error', (err) => fail(new SessionError(err.message, 'handshake')));
    socket.once('close', () => fail(new SessionError('the connection closed during the TLS handshake', 'handshake')));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const seen = normalizeFingerprint(cert.fingerprint ?? '');
      const pinned = target.fingerprint !== '' && seen === target.fingerprint;
      const byCa = target.ca !== undefined && socket.authorized;
      if (!pinned && !byCa) {
        fail(
          new SessionError(
            `The KLF 200 at ${target.host} presented a certificate with SHA-1 fingerprint ${cert.fingerprint ?? 'unknown'}, ` +
              (target.ca
                ? `which the configured CA does not vouch for (${socket.authorizationError ?? 'not trusted'}).`
                : `not the expected ${formatFingerprint(target.fingerprint)}.`) +
              ' If this really is your KLF 200, put its fingerprint in the "fingerprint" setting.',
            'certificate',
          ),
        );
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      resolve(socket);
    });
  });
}

/** A session on a connected socket: a new library Connection, and one way for it to end. */
export function socketSession(socket: TLSSocket, host: string): Session {
  let closedReason: string | undefined;
  let resolveClosed!: (reason: string) => void;
  const closed = new Promise<string>((r) => (resolveClosed = r));
  const close = (reason: string) => {
    if (closedReason !== undefined) return;
    closedReason = reason;
    socket.destroy();
    resolveClosed(reason);
  };
  // The library removes its own error handler after login: this one stays, so a reset never crashes.
  socket.on('error', (err) => close(`socket error: ${err.message}`));
  socket.on('close', () => close('the KLF 200 closed the connection'));
  const conn = new Connection(host);
  // Hand our socket to the library (it skips its own connect when one is set).
  (conn as unknown as { sckt?: TLSSocket }).sckt = socket;
  return { socket, conn, closed, close, isClosed: () => closedReason !== undefined };
}

/** A request's answer within `ms`; on a timeout the whole session ends (the KLF may be frozen). */
export function withTimeout<T>(session: Session, what: string, p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new SessionError(`no answer to the ${what} request within ${ms} ms`, 'timeout'));
      session.close(`no answer to the ${what} request`);
    }, ms);
    session.closed.then((reason) => {
      clearTimeout(timer);
      reject(new SessionError(reason, 'closed'));
    }, () => undefined);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (err === undefined) return 'unknown error';
  return String(err);
}

export function normalizeFingerprint(text: string): string {
  return text.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

function formatFingerprint(hex: string): string {
  return hex.match(/.{2}/g)?.join(':') ?? hex;
}

export function firmwareAtLeast(version: string, minimum: number[]): boolean {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < minimum.length; i++) {
    const a = parts[i] ?? 0;
    const b = minimum[i]!;
    if (a !== b) return a > b;
  }
  return true;
}
