/**
 * The storage model behind `@node-oauth/oauth2-server`: one client (Google, from the
 * config), authorization codes and tokens kept hashed in the token store, people from the
 * local accounts. The library does the protocol; this module only answers its questions.
 *
 * Expiry is decided here with the plugin's clock (a record past its time is simply not
 * found); dates handed back to the library are "real time now + what is left", so its own
 * `new Date()` checks agree with ours.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type OAuth2Server from '@node-oauth/oauth2-server';
import type { LinkedPeople } from './linked-people.js';
import { newSecret, type GoogleTokenStore } from './token-store.js';

export const GRANTS = ['authorization_code', 'refresh_token'];

/** What the library carries around as "user": the account and the link a token belongs to. */
export interface LinkedUser {
  id: string;
  name: string;
  linkId?: string;
}

export interface OAuthModelOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  people: LinkedPeople;
  tokens: GoogleTokenStore;
  now: () => number;
  /** A redeemed code came back: its link was revoked (for the log). */
  onCodeReplay?: (userId: string) => void;
}

export type OAuthModel = OAuth2Server.AuthorizationCodeModel & OAuth2Server.RefreshTokenModel;

/** Compares secrets in constant time (hashing first makes the lengths equal). */
export function secretsEqual(a: string, b: string): boolean {
  const ha = hash('sha256', a, 'buffer');
  const hb = hash('sha256', b, 'buffer');
  return timingSafeEqual(ha, hb);
}

export function createOAuthModel(options: OAuthModelOptions): OAuthModel {
  const { people, tokens, now } = options;
  const client: OAuth2Server.Client = {
    id: options.clientId,
    grants: GRANTS,
    redirectUris: options.redirectUris,
  };
  const realDate = (ourTime: number): Date => new Date(Date.now() + (ourTime - now()));
  const userFor = (userId: string, linkId?: string): LinkedUser | undefined => {
    const account = people.account(userId);
    return account ? { id: account.id, name: account.name, linkId } : undefined;
  };
  const asUser = (user: OAuth2Server.User): LinkedUser => user as LinkedUser;

  return {
    async getClient(clientId: string, clientSecret: string | null | undefined) {
      if (!secretsEqual(clientId, options.clientId)) return false;
      // The authorize step asks with `null` (no secret involved there); the token endpoint
      // must always prove the secret, whatever grant or extension is asked for.
      if (clientSecret === null) return client;
      if (typeof clientSecret !== 'string' || !secretsEqual(clientSecret, options.clientSecret)) return false;
      return client;
    },

    async validateRedirectUri(redirectUri: string) {
      return options.redirectUris.includes(redirectUri);
    },

    async generateAuthorizationCode() {
      return newSecret();
    },
    async generateAccessToken() {
      return newSecret();
    },
    async generateRefreshToken() {
      return newSecret();
    },

    async saveAuthorizationCode(code, _client, user) {
      const saved = tokens.saveCode(code.authorizationCode, {
        userId: asUser(user).id,
        epoch: people.account(asUser(user).id)?.linkEpoch ?? 0,
        clientId: client.id,
        redirectUri: code.redirectUri,
        scope: code.scope,
        codeChallenge: code.codeChallenge,
        codeChallengeMethod: code.codeChallengeMethod,
      });
      return { ...code, expiresAt: realDate(saved.expiresAt), client, user };
    },

    async getAuthorizationCode(authorizationCode: string) {
      people.check(); // first: a changed accounts file may revoke what is looked up here
      const record = tokens.findCode(authorizationCode);
      if (!record) {
        // A code presented again after it was redeemed: whoever holds it now may have stolen
        // it, so the tokens its first redemption issued are revoked (RFC 6749 §4.1.2).
        const used = tokens.findUsedCode(authorizationCode);
        if (used?.linkId && tokens.revokeLink(used.linkId)) options.onCodeReplay?.(used.userId);
        return false;
      }
      const account = people.account(record.userId);
      if (!account || (record.epoch ?? 0) !== (account.linkEpoch ?? 0)) return false;
      const user = userFor(record.userId);
      if (!user) return false;
      return {
        authorizationCode,
        expiresAt: realDate(record.expiresAt),
        redirectUri: record.redirectUri,
        scope: record.scope,
        codeChallenge: record.codeChallenge,
        codeChallengeMethod: record.codeChallengeMethod,
        client,
        user,
      };
    },

    async revokeAuthorizationCode(code) {
      // Single use: only the first redemption finds it unused.
      return tokens.useCode(code.authorizationCode);
    },

    async saveToken(token, _client, user) {
      const person = asUser(user);
      let linkId = person.linkId;
      if (token.refreshToken) {
        // Code exchange: a new link with a refresh token that does not expire (revocable).
        const epoch = people.account(person.id)?.linkEpoch ?? 0;
        linkId = tokens.createLink(token.refreshToken, { userId: person.id, clientId: client.id, scope: token.scope, epoch }).id;
        if (token.authorizationCode) tokens.noteCodeLink(token.authorizationCode, linkId);
      }
      if (!linkId) return false;
      const access = tokens.saveAccessToken(token.accessToken, { userId: person.id, clientId: client.id, linkId, scope: token.scope });
      return {
        accessToken: token.accessToken,
        accessTokenExpiresAt: realDate(access.expiresAt),
        refreshToken: token.refreshToken,
        scope: token.scope,
        client,
        user: { id: person.id, name: person.name, linkId },
      };
    },

    async getAccessToken(accessToken: string) {
      people.check();
      const record = tokens.findAccessToken(accessToken);
      if (!record) return false;
      const user = userFor(record.userId, record.linkId);
      if (!user) return false;
      return { accessToken, accessTokenExpiresAt: realDate(record.expiresAt), scope: record.scope, client, user };
    },

    async getRefreshToken(refreshToken: string) {
      people.check();
      const link = tokens.findLinkByRefreshToken(refreshToken);
      if (!link) return false;
      const user = userFor(link.userId, link.id);
      if (!user) return false;
      return { refreshToken, scope: link.scope, client, user };
    },

    async revokeToken(token) {
      // Only reached if refresh-token rotation were switched on; revokes that whole link.
      const link = tokens.findLinkByRefreshToken(token.refreshToken);
      return link ? tokens.revokeLink(link.id) : false;
    },
  };
}
