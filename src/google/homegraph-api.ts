/**
 * The HomeGraph client for Report State and Request Sync: `@googleapis/homegraph` with a
 * service-account key. `google.homegraphUrl` overrides the API root (tests, proxies). The
 * key's own `token_uri` is honoured (Google's Node auth library always uses its built-in
 * token URL; other Google libraries read it from the key), so a key can point elsewhere.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { HomeGraphApi } from './report-state.js';
import type { States } from './devices/types.js';

export const HOMEGRAPH_SCOPE = 'https://www.googleapis.com/auth/homegraph';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const ServiceAccountKey = z.object({
  type: z.literal('service_account'),
  client_email: z.string().min(1),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
  token_uri: z.url().optional(),
});

export class ServiceAccountKeyError extends Error {
  override name = 'ServiceAccountKeyError';
}

export function readServiceAccountKey(path: string): z.infer<typeof ServiceAccountKey> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ServiceAccountKeyError(`cannot read the service-account key ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = ServiceAccountKey.safeParse(raw);
  if (!parsed.success) {
    throw new ServiceAccountKeyError(
      `${path} is not a service-account key (download a JSON key for a service account with the HomeGraph API enabled)`,
    );
  }
  return parsed.data;
}

export async function createHomeGraphApi(options: { keyFile: string; rootUrl?: string }): Promise<HomeGraphApi> {
  const key = readServiceAccountKey(options.keyFile);
  const { homegraph, auth } = await import('@googleapis/homegraph');
  const jwt = new auth.JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [HOMEGRAPH_SCOPE] });
  const tokenUri = key.token_uri;
  if (tokenUri && tokenUri !== GOOGLE_TOKEN_URL) {
    jwt.transporter.interceptors.request.add({
      resolved: async (config) => {
        if (config.url.href === GOOGLE_TOKEN_URL) config.url = new URL(tokenUri);
        return config;
      },
    });
  }
  const rootUrl = options.rootUrl ? (options.rootUrl.endsWith('/') ? options.rootUrl : `${options.rootUrl}/`) : undefined;
  const api = homegraph({ version: 'v1', auth: jwt, ...(rootUrl ? { rootUrl } : {}) });
  return {
    async reportState(agentUserId: string, requestId: string, states: Record<string, States>) {
      await api.devices.reportStateAndNotification({ requestBody: { requestId, agentUserId, payload: { devices: { states } } } });
    },
    async requestSync(agentUserId: string) {
      await api.devices.requestSync({ requestBody: { agentUserId, async: true } });
    },
  };
}
