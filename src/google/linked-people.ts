/**
 * Who is linked to Google: local accounts joined with the links in the token store. The
 * accounts file belongs to the CLI, so every look here first checks whether it changed, and
 * the tokens of anyone whose account is gone are revoked at once.
 */
import type { Logger } from '../logger.js';
import type { Account, AccountStore } from './accounts.js';
import type { GoogleTokenStore } from './token-store.js';

export class LinkedPeople {
  private reconciled = -1;

  constructor(
    readonly accounts: AccountStore,
    readonly tokens: GoogleTokenStore,
    private readonly log: Logger,
  ) {}

  /** Re-reads the accounts if they changed and revokes what belonged to removed accounts. */
  check(): void {
    const generation = this.accounts.generation;
    if (generation === this.reconciled) return;
    this.reconciled = generation;
    const accounts = new Map(this.accounts.list().map((a) => [a.id, a]));
    for (const userId of this.tokens.knownUserIds()) {
      const account = accounts.get(userId);
      if (!account) {
        const links = this.tokens.revokeUser(userId);
        this.log.info(`Google Home: revoked the sign-ins of a removed account (${links} Google link(s))`);
        continue;
      }
      // A new password or `users unlink` starts a new link epoch: older links end.
      const links = this.tokens.revokeOtherEpochs(userId, account.linkEpoch ?? 0);
      if (links > 0) this.log.info(`Google Home: ended ${links} Google link(s) of ${account.name} (password changed or unlinked)`);
    }
  }

  account(userId: string): Account | undefined {
    this.check();
    return this.accounts.byId(userId);
  }

  /** The agentUserIds Google acts for: accounts that exist and have a live link. */
  agentUserIds(): string[] {
    this.check();
    return this.tokens.linkedUserIds().filter((id) => this.accounts.byId(id) !== undefined);
  }

  /** DISCONNECT: everything issued to this person is revoked. */
  disconnect(userId: string): number {
    return this.tokens.revokeUser(userId);
  }
}
