/**
 * CSRF protection of the sign-in form: the page sets a random nonce in a SameSite=Strict
 * cookie and embeds an HMAC over that nonce, the issue time and the OAuth parameters. A post
 * is accepted only from the browser that loaded the form, within 15 minutes, with the
 * parameters unchanged. The key is random per server start: a restart voids open forms.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthorizeParams } from './sign-in-page.js';

export const FORM_TOKEN_TTL_MS = 15 * 60_000;
export const SIGN_IN_COOKIE = 'vc_signin';

export class FormTokens {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number) {}

  newNonce(): string {
    return randomBytes(18).toString('base64url');
  }

  issue(nonce: string, params: AuthorizeParams): string {
    const issuedAt = this.now();
    return `${issuedAt.toString(36)}.${this.mac(nonce, issuedAt, params)}`;
  }

  verify(token: string | undefined, nonce: string | undefined, params: AuthorizeParams): boolean {
    if (!token || !nonce) return false;
    const [at, mac, extra] = token.split('.');
    if (!at || !mac || extra !== undefined) return false;
    const issuedAt = parseInt(at, 36);
    if (!Number.isFinite(issuedAt)) return false;
    const age = this.now() - issuedAt;
    if (age < 0 || age > FORM_TOKEN_TTL_MS) return false;
    const expected = Buffer.from(this.mac(nonce, issuedAt, params), 'utf8');
    const actual = Buffer.from(mac, 'utf8');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  private mac(nonce: string, issuedAt: number, params: AuthorizeParams): string {
    const fields = [nonce, issuedAt, params.client_id, params.redirect_uri, params.state, params.response_type, params.scope ?? null];
    return createHmac('sha256', this.key).update(JSON.stringify(fields)).digest('base64url');
  }
}

/** Reads one cookie from a Cookie header (no dependency needed for a single name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
