/**
 * What the end-to-end files share once Homebridge runs: polling for a condition, and a paired
 * HAP controller on the plugin's bridge (as the Home app is) that records every event it gets,
 * waits for the accessories to be published and subscribes once, up front.
 */
import { findCharacteristic, HapController, type HapAccessory, type PairingData, type RunningHomebridge } from '../../helpers/homebridge.js';

export interface HapEvent {
  aid: number;
  iid: number;
  value: unknown;
}

/** Polls `check` until it returns something truthy (which is returned), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface SessionOptions {
  /** A pairing from an earlier session (a restart); default: pair with the bridge's setup code. */
  pairing?: PairingData;
  /** Whether the published accessories are complete. */
  ready: (accessories: HapAccessory[]) => boolean;
  /** Says what `ready` waits for (in the timeout message). */
  what: string;
  timeoutMs?: number;
  /** The characteristics ("aid.iid") to subscribe to, once the accessories are there. */
  subscribe: (session: BridgeSession) => string[];
}

export class BridgeSession {
  /** Every event received, oldest first. */
  readonly events: HapEvent[] = [];
  accessories: HapAccessory[] = [];

  private constructor(readonly controller: HapController) {
    controller.client.on('event', (ev: { characteristics: HapEvent[] }) => {
      // HAP-NodeJS sends each batch newest-first (Apple's controllers process it in reverse):
      // reverse it back to get the events in the order they happened.
      for (const c of [...ev.characteristics].reverse()) this.events.push({ aid: Number(c.aid), iid: Number(c.iid), value: c.value });
    });
  }

  static async open(homebridge: RunningHomebridge, options: SessionOptions): Promise<BridgeSession> {
    const controller = options.pairing ? new HapController(homebridge, options.pairing) : await HapController.pair(homebridge);
    const session = new BridgeSession(controller);
    session.accessories = await waitFor(
      async () => {
        const list = await controller.accessories();
        return options.ready(list) ? list : false;
      },
      options.what,
      options.timeoutMs ?? 20_000,
    );
    // Subscribe once, up front, as the Home app does (hap-controller can lose a second
    // subscribe request on the event connection while events are streaming in).
    await controller.client.subscribeCharacteristics(options.subscribe(session));
    return session;
  }

  /** The characteristic `characteristic` of service `service` of the accessory named `name`. */
  char(name: string, service: { UUID: string }, characteristic: { UUID: string }) {
    return findCharacteristic(this.accessories, name, service.UUID, characteristic.UUID);
  }

  /** The values of the events received for one characteristic ("aid.iid"), oldest first. */
  eventsFor(id: string): unknown[] {
    const [aid, iid] = id.split('.').map(Number);
    return this.events.filter((e) => e.aid === aid && e.iid === iid).map((e) => e.value);
  }

  /** Reads one characteristic: its `value`, or a HAP `status`. */
  async read(id: string): Promise<{ aid: number; iid: number; value?: unknown; status?: number }> {
    return (await this.controller.read(id))[0]!;
  }

  write(id: string, value: unknown): Promise<number> {
    return this.controller.write(id, value);
  }

  close(): Promise<void> {
    return this.controller.close();
  }
}
