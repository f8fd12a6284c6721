/**
 * OAuth codes and tokens issued to Google, kept only as SHA-256 hashes in one JSON file in
 * the storage directory (atomic writes). A "link" is one Google account linking: it owns one
 * refresh token (no expiry, revocable) and the short-lived access tokens minted from it.
 * The file stays small: expired codes and access tokens are pruned on every write, and each
 * person keeps at most a few links.
 */
import { hash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { JsonFile } from '../storage/json-file.js';

export const AUTHORIZATION_CODE_TTL_MS = 10 * 60_000;
export const ACCESS_TOKEN_TTL_MS = 60 * 60_000;
/** Links kept per person; linking again beyond this drops the oldest (Google keeps only one anyway). */
const MAX_LINKS_PER_USER = 5;
const MAX_PENDING_CODES = 200;
const MAX_ACCESS_TOKENS_PER_LINK = 10;

/** Hex SHA-256 of the UTF-8 text (one-shot `crypto.hash`: no Hash object per call, this runs for every request). */
export function sha256(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** 256 random bits, URL-safe (valid in a Bearer header and as an OAuth vschar string). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

const Scope = z.array(z.string()).optional();

const CodeRecord = z.object({
  hash: z.string(),
  userId: z.string(),
  clientId: z.string(),
  redirectUri: z.string(),
  scope: Scope,
  expiresAt: z.number(),
  codeChallenge: z.string().optional(),
  codeChallengeMethod: z.string().optional(),
  /** The account's link epoch when the code was issued (see Account.linkEpoch). */
  epoch: z.number().int().optional(),
  /** Set when the code was redeemed: kept until it expires, so a replay can be recognised. */
  usedAt: z.number().optional(),
  /** The link its redemption created: revoked if the code is replayed (RFC 6749 §4.1.2). */
  linkId: z.string().optional(),
});
export type CodeRecord = z.infer<typeof CodeRecord>;

const LinkRecord = z.object({
  id: z.string(),
  userId: z.string(),
  clientId: z.string(),
  refreshHash: z.string(),
  scope: Scope,
  createdAt: z.number(),
  lastUsedAt: z.number(),
  /** The account's link epoch when it was made; a link of an older epoch is revoked. */
  epoch: z.number().int().optional(),
});
export type LinkRecord = z.infer<typeof LinkRecord>;

const AccessRecord = z.object({
  hash: z.string(),
  userId: z.string(),
  clientId: z.string(),
  linkId: z.string(),
  scope: Scope,
  expiresAt: z.number(),
});
export type AccessRecord = z.infer<typeof AccessRecord>;

const TokensDocument = z.object({
  version: z.literal(1),
  codes: z.array(CodeRecord),
  links: z.array(LinkRecord),
  accessTokens: z.array(AccessRecord),
});
export type TokensDocument = z.infer<typeof TokensDocument>;

const empty = (): TokensDocument => ({ version: 1, codes: [], links: [], accessTokens: [] });
const validate = (v: unknown): TokensDocument | undefined => {
  const parsed = TokensDocument.safeParse(v);
  return parsed.success ? parsed.data : undefined;
};

export class GoogleTokenStore {
  private readonly file: JsonFile<TokensDocument>;

  constructor(
    path: string,
    private readonly now: () => number,
    log?: Logger,
  ) {
    this.file = new JsonFile(path, validate, empty, log);
  }

  // ---- authorization codes (single use, 10 minutes) ----------------------------------------

  saveCode(code: string, record: Omit<CodeRecord, 'hash' | 'expiresAt'>): CodeRecord {
    const saved: CodeRecord = { ...record, hash: sha256(code), expiresAt: this.now() + AUTHORIZATION_CODE_TTL_MS };
    this.change((doc) => ({ ...doc, codes: [...doc.codes, saved].slice(-MAX_PENDING_CODES) }));
    return saved;
  }

  /** A live code, or undefined when unknown, used or expired. */
  findCode(code: string): CodeRecord | undefined {
    const hash = sha256(code);
    return this.file.value.codes.find((c) => c.hash === hash && c.expiresAt > this.now() && c.usedAt === undefined);
  }

  /** A code that was already redeemed (within its lifetime), or undefined. */
  findUsedCode(code: string): CodeRecord | undefined {
    const hash = sha256(code);
    return this.file.value.codes.find((c) => c.hash === hash && c.usedAt !== undefined);
  }

  /** Marks the code used; true when it was unused: whoever gets true may redeem it. */
  useCode(code: string): boolean {
    const hash = sha256(code);
    if (!this.file.value.codes.some((c) => c.hash === hash && c.usedAt === undefined)) return false;
    const at = this.now();
    this.change((doc) => ({ ...doc, codes: doc.codes.map((c) => (c.hash === hash ? { ...c, usedAt: at } : c)) }));
    return true;
  }

  /** Remembers which link a redeemed code created. */
  noteCodeLink(code: string, linkId: string): void {
    const hash = sha256(code);
    this.change((doc) => ({ ...doc, codes: doc.codes.map((c) => (c.hash === hash ? { ...c, linkId } : c)) }));
  }

  // ---- links and tokens ------------------------------------------------------------------------

  /** Starts a link with its refresh token; the person's oldest links beyond the limit go. */
  createLink(refreshToken: string, record: Pick<LinkRecord, 'userId' | 'clientId' | 'scope' | 'epoch'>): LinkRecord {
    const now = this.now();
    const link: LinkRecord = { ...record, id: `l-${randomBytes(9).toString('hex')}`, refreshHash: sha256(refreshToken), createdAt: now, lastUsedAt: now };
    this.change((doc) => {
      const mine = doc.links.filter((l) => l.userId === record.userId);
      const dropped = new Set(mine.slice(0, Math.max(0, mine.length + 1 - MAX_LINKS_PER_USER)).map((l) => l.id));
      return {
        ...doc,
        links: [...doc.links.filter((l) => !dropped.has(l.id)), link],
        accessTokens: doc.accessTokens.filter((t) => !dropped.has(t.linkId)),
      };
    });
    return link;
  }

  findLinkByRefreshToken(refreshToken: string): LinkRecord | undefined {
    const hash = sha256(refreshToken);
    return this.file.value.links.find((l) => l.refreshHash === hash);
  }

  saveAccessToken(accessToken: string, record: Omit<AccessRecord, 'hash' | 'expiresAt'>): AccessRecord {
    const now = this.now();
    const saved: AccessRecord = { ...record, hash: sha256(accessToken), expiresAt: now + ACCESS_TOKEN_TTL_MS };
    this.change((doc) => ({
      ...doc,
      // Google holds one access token per link at a time; a few are plenty.
      accessTokens: [...dropOldest(doc.accessTokens, (t) => t.linkId === record.linkId, MAX_ACCESS_TOKENS_PER_LINK - 1), saved],
      links: doc.links.map((l) => (l.id === record.linkId ? { ...l, lastUsedAt: now } : l)),
    }));
    return saved;
  }

  /** A live access token whose link still exists, or undefined. */
  findAccessToken(accessToken: string): AccessRecord | undefined {
    const hash = sha256(accessToken);
    const record = this.file.value.accessTokens.find((t) => t.hash === hash && t.expiresAt > this.now());
    if (!record || !this.file.value.links.some((l) => l.id === record.linkId)) return undefined;
    return record;
  }

  /** Revokes one link: its refresh token and every access token minted from it. */
  revokeLink(linkId: string): boolean {
    if (!this.file.value.links.some((l) => l.id === linkId)) return false;
    this.change((doc) => ({
      ...doc,
      links: doc.links.filter((l) => l.id !== linkId),
      accessTokens: doc.accessTokens.filter((t) => t.linkId !== linkId),
    }));
    return true;
  }

  /** Revokes everything issued to a person (DISCONNECT, account removed). Number of links revoked. */
  revokeUser(userId: string): number {
    const doc = this.file.value;
    const links = doc.links.filter((l) => l.userId === userId).length;
    if (links === 0 && !doc.codes.some((c) => c.userId === userId) && !doc.accessTokens.some((t) => t.userId === userId)) return 0;
    this.change((d) => ({
      ...d,
      codes: d.codes.filter((c) => c.userId !== userId),
      links: d.links.filter((l) => l.userId !== userId),
      accessTokens: d.accessTokens.filter((t) => t.userId !== userId),
    }));
    return links;
  }

  /**
   * Revokes a person's links, codes and access tokens made in another link epoch than
   * `epoch` (their password changed, or they were unlinked). Number of links revoked.
   */
  revokeOtherEpochs(userId: string, epoch: number): number {
    const doc = this.file.value;
    const stale = (r: { userId: string; epoch?: number }) => r.userId === userId && (r.epoch ?? 0) !== epoch;
    const links = new Set(doc.links.filter(stale).map((l) => l.id));
    if (links.size === 0 && !doc.codes.some(stale)) return 0;
    this.change((d) => ({
      ...d,
      codes: d.codes.filter((c) => !stale(c)),
      links: d.links.filter((l) => !links.has(l.id)),
      accessTokens: d.accessTokens.filter((t) => !links.has(t.linkId)),
    }));
    return links.size;
  }

  /** People with at least one live link: those Google acts for, and who get Report State. */
  linkedUserIds(): string[] {
    return [...new Set(this.file.value.links.map((l) => l.userId))];
  }

  /** Every person any record mentions (to find records of accounts that are gone). */
  knownUserIds(): string[] {
    const doc = this.file.value;
    return [...new Set([...doc.codes, ...doc.links, ...doc.accessTokens].map((r) => r.userId))];
  }

  private change(edit: (doc: TokensDocument) => TokensDocument): void {
    const now = this.now();
    this.file.update((doc) => {
      const next = edit(doc);
      return {
        ...next,
        codes: next.codes.filter((c) => c.expiresAt > now),
        accessTokens: next.accessTokens.filter((t) => t.expiresAt > now),
      };
    });
  }
}

/**
 * Read-only view for the CLI (the server owns the file): live links per person id, not
 * counting links of an older link epoch (`epochs`: each person's current one), which the
 * server revokes when it next looks.
 */
export function readLinkCounts(path: string, epochs: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const doc = readJsonFileQuietly(path);
  const counts = new Map<string, number>();
  for (const link of doc.links) {
    if ((link.epoch ?? 0) !== (epochs.get(link.userId) ?? 0)) continue;
    counts.set(link.userId, (counts.get(link.userId) ?? 0) + 1);
  }
  return counts;
}

function readJsonFileQuietly(path: string): TokensDocument {
  const read = readTokensFile(path);
  return typeof read === 'string' ? empty() : read;
}

/**
 * Read-only view of the whole file for the CLI (`privacy export`, `privacy erase`): never
 * moves the server's file aside; says whether it is missing or unreadable instead.
 */
export function readTokensFile(path: string): TokensDocument | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    return validate(JSON.parse(text)) ?? 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** `list` with only the newest `keep` of the entries matching `mine` (order is oldest first). */
function dropOldest<T>(list: T[], mine: (item: T) => boolean, keep: number): T[] {
  let excess = list.filter(mine).length - keep;
  if (excess <= 0) return list;
  return list.filter((item) => !(mine(item) && excess-- > 0));
}
