/**
 * HomeKit's limit of accessories per bridge: which accessories were left out, trying them again
 * when places free up, and one log line once things settle (a start-up burst gives one line).
 */
import type { Logger } from '../logger.js';

/** HAP-NodeJS refuses more bridged accessories than this on one bridge (HomeKit's limit is 150 including the bridge). */
export const MAX_BRIDGED_ACCESSORIES = 149;
/** The bridge-limit line is logged once things settle, so a start-up burst gives one line, not several. */
export const LEFT_OUT_LOG_DELAY_MS = 1000;

/** The one log line when accessories do not fit on the bridge; exported for the docs and tests. */
export function bridgeLimitMessage(platformName: string, leftOut: readonly string[], total: number): string {
  const shown = leftOut.slice(0, 3).map((n) => `"${n}"`);
  const names = leftOut.length > 3 ? `${shown.join(', ')} and ${leftOut.length - 3} more` : shown.join(', ');
  return (
    `HomeKit allows at most ${MAX_BRIDGED_ACCESSORIES} accessories per bridge: ${leftOut.length} of ${total} accessories ` +
    `were left out (${names}). To publish them all, split your gateways over several "${platformName}" platform blocks, ` +
    `each with its own "id" and child bridge ("_bridge"), so that none has more than ${MAX_BRIDGED_ACCESSORIES} accessories.`
  );
}

interface LeftOut {
  name: string;
  /** Tries again to add it (when there is room). */
  retry: () => void;
}

export class BridgeLimit {
  private readonly leftOut = new Map<string, LeftOut>();
  private logTimer?: NodeJS.Timeout;
  private logged = 0;

  constructor(
    private readonly log: Logger,
    private readonly platformName: string,
    /** Accessories of this platform on the bridge now. */
    private readonly onBridge: () => number,
  ) {}

  get full(): boolean {
    return this.onBridge() >= MAX_BRIDGED_ACCESSORIES;
  }

  get names(): string[] {
    return [...this.leftOut.values()].map((l) => l.name);
  }

  /** Remembers an accessory that did not fit (once). */
  leaveOut(uuid: string, name: string, retry: () => void): void {
    if (!this.leftOut.has(uuid)) this.leftOut.set(uuid, { name, retry });
  }

  forget(uuid: string): void {
    this.leftOut.delete(uuid);
  }

  /** Tries the left-out accessories again while there is room. */
  retry(): void {
    for (const [uuid, leftOut] of [...this.leftOut]) {
      if (this.full) break;
      this.leftOut.delete(uuid);
      leftOut.retry();
    }
  }

  /** Logs the left-out accessories once things settle (only when their number changed). */
  scheduleLog(): void {
    clearTimeout(this.logTimer);
    this.logTimer = setTimeout(() => this.logNow(), LEFT_OUT_LOG_DELAY_MS);
    this.logTimer.unref?.();
  }

  stop(): void {
    clearTimeout(this.logTimer);
  }

  private logNow(): void {
    const count = this.leftOut.size;
    if (count === this.logged) return;
    this.logged = count;
    if (count === 0) {
      this.log.info('All accessories fit on the HomeKit bridge again.');
      return;
    }
    this.log.warn(bridgeLimitMessage(this.platformName, this.names, this.onBridge() + count));
  }
}
