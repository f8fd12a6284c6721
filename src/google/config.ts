/**
 * The `google` config block with its defaults applied and checked once, so the rest of
 * google/ works with values it can trust. Problems are reported with the key to fix.
 */
import type { GoogleConfig } from '../config/types.js';

export const DEFAULT_PORT = 8582;
export const DEFAULT_BIND = '127.0.0.1';

/** The only places Google sends people back to after sign-in (one project, live and sandbox). */
export function googleRedirectUris(projectId: string): string[] {
  const id = encodeURIComponent(projectId);
  return [`https://oauth-redirect.googleusercontent.com/r/${id}`, `https://oauth-redirect-sandbox.googleusercontent.com/r/${id}`];
}

export interface ResolvedGoogleConfig {
  port: number;
  bind: string;
  /** Believe X-Forwarded-For from a loopback peer (a reverse proxy on this machine). */
  trustProxy: boolean;
  publicUrl?: string;
  projectId: string;
  clientId: string;
  clientSecret: string;
  pin?: string;
  serviceAccountKeyFile?: string;
  homegraphUrl?: string;
  tls?: { cert: string; key: string };
  redirectUris: string[];
}

export class GoogleConfigError extends Error {
  override name = 'GoogleConfigError';
}

/** Applies defaults and checks the block; throws GoogleConfigError naming the key to fix. */
export function resolveGoogleConfig(config: GoogleConfig): ResolvedGoogleConfig {
  if (config.enabled !== true) throw new GoogleConfigError('Google Home is switched off (google.enabled is not true); nothing to start');
  const problems: string[] = [];
  const text = (key: keyof GoogleConfig): string | undefined => {
    const value = config[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') {
      problems.push(`google.${key} must be text`);
      return undefined;
    }
    return value.trim();
  };

  const port = config.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push('google.port must be a whole number from 0 to 65535');
  const bind = text('bind') ?? DEFAULT_BIND;
  if (config.trustProxy !== undefined && typeof config.trustProxy !== 'boolean') problems.push('google.trustProxy must be true or false');
  const projectId = text('projectId');
  const clientId = text('clientId');
  const clientSecret = text('clientSecret');
  if (!projectId) problems.push('google.projectId is required (the Actions console project id)');
  else if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(projectId)) problems.push('google.projectId does not look like a Google Cloud project id');
  if (!clientId) problems.push('google.clientId is required (the client id entered in the Actions console account linking)');
  if (!clientSecret) problems.push('google.clientSecret is required (the client secret entered in the Actions console account linking)');
  else if (clientSecret.length < 16) problems.push('google.clientSecret must be at least 16 characters');

  const pin = text('pin');
  if (pin !== undefined && !/^\d{4,12}$/.test(pin)) problems.push('google.pin must be 4 to 12 digits');

  const publicUrl = text('publicUrl')?.replace(/\/+$/, '');
  if (publicUrl !== undefined) {
    if (!isUrl(publicUrl, ['https:', 'http:'])) problems.push('google.publicUrl must be a URL such as https://home.example.com');
  }
  const homegraphUrl = text('homegraphUrl');
  if (homegraphUrl !== undefined && !isUrl(homegraphUrl, ['https:', 'http:'])) problems.push('google.homegraphUrl must be a URL');

  let tls: ResolvedGoogleConfig['tls'];
  if (config.tls !== undefined) {
    if (typeof config.tls?.cert !== 'string' || typeof config.tls?.key !== 'string' || !config.tls.cert || !config.tls.key) {
      problems.push('google.tls needs both "cert" and "key" (paths to PEM files)');
    } else {
      tls = { cert: config.tls.cert, key: config.tls.key };
    }
  }

  if (problems.length > 0 || !projectId || !clientId || !clientSecret) {
    throw new GoogleConfigError(`Google Home is enabled but its settings need attention: ${problems.join('; ')}`);
  }
  return {
    port,
    bind,
    trustProxy: config.trustProxy === true,
    publicUrl,
    projectId,
    clientId,
    clientSecret,
    pin,
    serviceAccountKeyFile: text('serviceAccountKeyFile'),
    homegraphUrl,
    tls,
    redirectUris: googleRedirectUris(projectId),
  };
}

function isUrl(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
