/**
 * Departure mode (away): on when any departure switch a gateway reports says so; when no
 * gateway has one, the home's virtual switch (kept in the home state). Each change is logged
 * and credited to whoever asked for it.
 */
import type { CommandResult, CommandSource, DeviceCommand } from '../gateway/types.js';
import type { Logger } from '../logger.js';
import type { HomeStateStore } from './home-state.js';
import type { HomeDevice, ModeSource } from './model.js';

export interface DepartureModeHost {
  log: Logger;
  now: () => number;
  state: HomeStateStore;
  /** Departure switches reported by gateways. */
  switches: () => HomeDevice[];
  command: (key: string, command: DeviceCommand, source: CommandSource) => Promise<CommandResult>;
  changed: (away: boolean, source: ModeSource) => void;
}

/** How long a switch's confirming state is credited to the source that asked (ms). */
const CREDIT_MS = 30_000;

export class DepartureMode {
  private last: boolean;
  private expected?: { away: boolean; source: CommandSource; until: number };

  constructor(private readonly host: DepartureModeHost) {
    this.last = host.state.current.virtualAway;
  }

  get away(): boolean {
    const switches = this.host.switches();
    if (switches.length === 0) return this.host.state.current.virtualAway;
    return switches.some((d) => d.state.away === true);
  }

  /** Sets departure mode: through the gateway's switch(es) if there are any, else the virtual one. */
  async set(away: boolean, source: CommandSource): Promise<CommandResult> {
    const switches = this.host.switches();
    if (switches.length === 0) {
      this.host.state.update({ virtualAway: away });
      this.update(source);
      return { ok: true };
    }
    // The switch's confirming state may arrive before the command's answer: credit the change
    // to whoever asked for it, not to the gateway.
    this.expected = { away, source, until: this.host.now() + CREDIT_MS };
    const results = await Promise.all(switches.map((d) => this.host.command(d.key, { away }, source)));
    const failed = results.find((r) => !r.ok);
    if (failed) return failed;
    // The gateway's state message confirms the change; until then the wanted state is known.
    this.update(source, away);
    return { ok: true };
  }

  /** Re-evaluates the mode after something changed (`assumed`: the state just asked for). */
  update(source: ModeSource, assumed?: boolean): void {
    const away = assumed ?? this.away;
    if (away === this.last) return;
    this.last = away;
    const expected = this.expected;
    if (expected && expected.away === away && this.host.now() <= expected.until) source = expected.source;
    this.expected = undefined;
    this.host.log.info(`Departure mode ${away ? 'on (away)' : 'off (home)'} (${source})`);
    this.host.changed(away, source);
  }
}
