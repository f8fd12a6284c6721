/**
 * A day in the simulated home with the local climate control running, end to end: simulated
 * VELUX gateway → real MQTT broker → MqttGateway → Home → ClimateController → commands back
 * over MQTT to the simulated motors. Time runs TIME_SCALE times faster on one shared clock;
 * assertions are about outcomes (what the simulated gateway received, where the windows
 * are, what the plugin reported) with generous simulated-time windows, never exact instants.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { brokerFactories, type TestBroker } from '../helpers/broker.js';
import { ClimateDay, DayClock, MINUTE, SECOND, type ClimateDayOptions, type SeenCommand } from './climate-home.js';

/** Simulated seconds per real second: the file plays about five simulated hours (~25 s at 600×). */
const TIME_SCALE = Number(process.env.CLIMATE_DAY_TIME_SCALE ?? 600);
/** 5 real milliseconds: a burst of MQTT state messages is evaluated once. */
const COALESCE_MS = 5 * SECOND * (TIME_SCALE / 1000);
/**
 * What MQTT adds to a decision before the simulated gateway sees the command: a few real
 * milliseconds, i.e. seconds of simulated time; allowed for on top of the spec's bounds.
 */
const TRANSPORT_SLACK_MS = 30 * SECOND;
const EVALUATION_PERIOD_MS = MINUTE;
/**
 * The behaviour promised by docs (design/climate-control.md defaults), written out rather
 * than read from the settings, so a changed default or setting shows up as a failure here.
 */
const SPEC = {
  co2Max: 1150,
  /** co2Max − hysteresis: where airing for CO2 ends. */
  co2Low: 750,
  humidityDelayMs: 15 * MINUTE,
  rainHoldMs: 15 * MINUTE,
  airingIntervalMs: 60 * MINUTE,
  ventilationPosition: 25,
  minAiringMs: 5 * MINUTE,
  maxAiringMs: 30 * MINUTE,
  manualPauseMs: 60 * MINUTE,
  coolingSetpoint: 23,
  heatProtectionPosition: 10,
} as const;
/** Real time per scenario: the longest plays under two simulated hours, waits included. */
const REAL_TIMEOUT_MS = Math.max(30_000, (4 * 60 * MINUTE) / TIME_SCALE);
/** CLIMATE_DAY_ECHO=1 prints every command and log line with its simulated time. */
const ECHO = process.env.CLIMATE_DAY_ECHO === '1';

/** 2026-06-01 at hh:mm, read as local time. */
const at = (hours: number, minutes = 0): number => Date.UTC(2026, 5, 1, hours, minutes);

for (const factory of brokerFactories()) {
  describe(`a climate day in the simulated home (${factory.name}, ${TIME_SCALE}× time)`, () => {
    let broker: TestBroker;
    let day: ClimateDay | undefined;

    beforeAll(async () => {
      broker = await factory.start();
    });
    afterAll(async () => {
      await broker.close();
    });
    afterEach(async () => {
      await day?.stop();
      day = undefined;
    });

    async function startDay(startsAt: number, options: Omit<ClimateDayOptions, 'brokerUrl' | 'clock' | 'coalesceMs'>): Promise<ClimateDay> {
      day = await ClimateDay.start({ brokerUrl: broker.url, clock: new DayClock(TIME_SCALE, startsAt), coalesceMs: COALESCE_MS, echo: ECHO, ...options });
      return day;
    }

    /** Nobody anywhere unless the scenario says so: only the room under test has a reason to act. */
    const emptyHome = (occupancy: Record<string, number> = {}) => ({
      'Living room': 0,
      Bedroom: 0,
      Bathroom: 0,
      Kitchen: 0,
      ...occupancy,
    });

    /**
     * Against an external broker (MQTT_URL, Mosquitto in CI) only the scenarios that lean on
     * the broker run again — the departure switch's state and a restart rebuilt from retained
     * topics — so the file stays near half a minute there too.
     */
    const aedesOnly = factory.name === 'aedes' ? it : it.skip;

    const waitForCommand = (d: ClimateDay, what: string, simMs: number, match: (c: SeenCommand) => boolean, since = 0) =>
      d.waitFor(() => d.climateCommands({ since }).find(match), simMs, what);

    aedesOnly(
      '1. morning CO2 rise in the bedroom: airs to the ventilation position, closes when CO2 is down (or at the maximum airing)',
      async () => {
        const d = await startDay(at(6), {
          layout: (layout) => {
            layout.occupancy = emptyHome({ Bedroom: 1 });
            layout.initialState = { ...layout.initialState, 'bedroom-sensor': { temperature: 19.5, humidity: 52, co2: 1100, battery: 75 } };
          },
        });

        const open = await waitForCommand(d, 'the bedroom window to be opened for CO2', 60 * MINUTE, (c) => c.deviceId === 'bedroom-window');
        expect(open.position, d.describe()).toBe(SPEC.ventilationPosition);
        const opening = d.decisions('Bedroom').find((h) => h.kind === 'action' && h.device === d.key('bedroom-window'));
        expect(opening?.trigger, d.describe()).toBe('co2');
        expect(opening?.text).toMatch(/CO2 \d+ ppm over 1150/);
        await d.waitFor(() => d.position('bedroom-window') === 25, 2 * MINUTE, 'the bedroom window to reach 25 %');

        const close = await waitForCommand(
          d,
          'the bedroom window to be closed again',
          SPEC.maxAiringMs + EVALUATION_PERIOD_MS + TRANSPORT_SLACK_MS,
          (c) => c.deviceId === 'bedroom-window' && c.position === 0,
          open.at,
        );
        const closing = d.decisions('Bedroom').find((h) => h.kind === 'action' && h.device === d.key('bedroom-window') && h.at > (opening?.at ?? 0));
        // Either end is within the rules. With one person and one window 25 % open the room needs
        // about half an hour to get from 1150 to 750 ppm, so in this simulated room it may be the
        // maximum airing that ends it; either way CO2 is far down by then.
        expect(['comfort_reached', 'max_airing'], d.describe()).toContain(closing?.trigger);
        if (closing?.trigger === 'comfort_reached') expect(d.sim.roomClimate('Bedroom').co2).toBeLessThan(SPEC.co2Low + 50);
        // The decisions' own times: under load the open can reach the gateway late.
        else expect((closing?.at ?? 0) - (opening?.at ?? 0), d.describe()).toBeGreaterThanOrEqual(SPEC.maxAiringMs);
        expect(close.at - open.at).toBeGreaterThanOrEqual(SPEC.minAiringMs - TRANSPORT_SLACK_MS);
        expect(d.sim.roomClimate('Bedroom').co2).toBeLessThan(SPEC.co2Max - 250);
        await d.waitFor(() => d.position('bedroom-window') === 0, 2 * MINUTE, 'the bedroom window to be closed');

        // Nothing else had a reason to move; the algorithm never opened beyond the ventilation position.
        const sent = d.climateCommands();
        expect(new Set(sent.map((c) => c.deviceId)), d.describe()).toEqual(new Set(['bedroom-window']));
        expect(sent.every((c) => c.position === 0 || c.position === SPEC.ventilationPosition)).toBe(true);
      },
      REAL_TIMEOUT_MS,
    );

    aedesOnly(
      '2. shower in the bathroom: the window opens only after the humidity delay, then closes',
      async () => {
        const d = await startDay(at(7, 30), { layout: (layout) => void (layout.occupancy = emptyHome()) });
        await d.clock.sleep(2 * MINUTE);
        expect(d.climateCommands(), d.describe()).toEqual([]);

        const showerAt = d.clock.now();
        d.sim.shower('Bathroom');
        const delayEnd = showerAt + SPEC.humidityDelayMs;
        d.forbid('opening the bathroom window before the humidity delay', (c) => c.deviceId === 'bathroom-window' && c.source === 'climate' && c.at < delayEnd);

        const open = await waitForCommand(
          d,
          'the bathroom window to be opened for humidity',
          SPEC.humidityDelayMs + 10 * MINUTE,
          (c) => c.deviceId === 'bathroom-window',
          showerAt,
        );
        // Not before the delay (humidity was over the limit from the shower on) …
        expect(open.at, `opened at ${d.clock.label(open.at)}, delay ends ${d.clock.label(delayEnd)}\n${d.describe()}`).toBeGreaterThanOrEqual(delayEnd);
        // … but promptly after it, for the humidity.
        expect(open.at - delayEnd).toBeLessThanOrEqual(3 * EVALUATION_PERIOD_MS);
        expect(open.position).toBe(SPEC.ventilationPosition);
        const opening = d.decisions('Bathroom').find((h) => h.kind === 'action');
        expect(opening?.trigger, d.describe()).toBe('humidity');
        expect(opening?.text).toMatch(/humidity \d+ % over 70 % for 1[5-9] min/);
        await d.waitFor(() => d.position('bathroom-window') === 25, 2 * MINUTE, 'the bathroom window to reach 25 %');

        const close = await waitForCommand(
          d,
          'the bathroom window to be closed',
          SPEC.maxAiringMs + EVALUATION_PERIOD_MS + TRANSPORT_SLACK_MS,
          (c) => c.deviceId === 'bathroom-window' && c.position === 0,
          open.at,
        );
        expect(close.at - open.at).toBeGreaterThanOrEqual(SPEC.minAiringMs - TRANSPORT_SLACK_MS);
        await d.waitFor(() => d.position('bathroom-window') === 0, 2 * MINUTE, 'the bathroom window to be closed');
        expect(new Set(d.climateCommands().map((c) => c.deviceId)), d.describe()).toEqual(new Set(['bathroom-window']));
        expect(d.violations).toEqual([]);
      },
      REAL_TIMEOUT_MS,
    );

    aedesOnly(
      '3. hot afternoon: covers go down to the heat-protection position and back where they were once cooler',
      async () => {
        const d = await startDay(at(13), {
          layout: (layout) => {
            layout.occupancy = emptyHome();
            layout.initialState = {
              ...layout.initialState,
              'living-blind': { position: 100 },
              'kitchen-awning': { position: 70 },
              'living-sensor': { temperature: 22.5, humidity: 45, co2: 600, battery: 90 },
              'kitchen-sensor': { temperature: 22.5, humidity: 48, co2: 600, battery: 60 },
            };
          },
          weather: { temperature: 29, sunLux: 100_000, windSpeed: 2 },
          // The room sensor reads daylight through the glazing (~3 % of the sun: ~3000 lx
          // here), far under the 20000 lx default; a threshold a room sensor reaches.
          settings: () => ({ heatProtectionLux: 2_000 }),
        });
        const covers = { 'living-blind': 100, 'kitchen-awning': 70 } as const;

        for (const id of Object.keys(covers)) {
          const down = await waitForCommand(d, `${id} to be lowered against heat`, 60 * MINUTE, (c) => c.deviceId === id);
          expect(down.position, d.describe()).toBe(SPEC.heatProtectionPosition);
        }
        const lowered = d.decisions('Living room').find((h) => h.kind === 'action' && h.device === d.key('living-blind'));
        expect(lowered?.trigger).toBe('heat_protection');
        expect(lowered?.text).toMatch(/over the cooling setpoint 23 °C and \d+ lx over 2000/);
        await d.waitFor(
          () => d.position('living-blind') === 10 && d.position('kitchen-awning') === 10,
          3 * MINUTE,
          'both covers to reach 10 %',
        );

        // The afternoon stays hot: the covers stay down.
        const hotFrom = d.clock.now();
        await d.clock.sleep(20 * MINUTE);
        expect(d.sim.roomClimate('Living room').temperature).toBeGreaterThan(SPEC.coolingSetpoint - 1);
        expect(d.climateCommands({ since: hotFrom }).filter((c) => c.deviceId in covers), d.describe(hotFrom)).toEqual([]);
        expect([d.position('living-blind'), d.position('kitchen-awning')]).toEqual([10, 10]);

        // Evening: the sun goes, it cools outside; the rooms cool and the covers go back.
        const eveningAt = d.clock.now();
        d.sim.setWeather({ sunLux: 2_000, temperature: 17 });
        for (const [id, previous] of Object.entries(covers)) {
          const up = await waitForCommand(d, `${id} to go back up`, 90 * MINUTE, (c) => c.deviceId === id && c.position !== SPEC.heatProtectionPosition, eveningAt);
          expect(up.position, d.describe(eveningAt)).toBe(previous);
        }
        const back = d.decisions('Living room', eveningAt).find((h) => h.kind === 'action' && h.device === d.key('living-blind'));
        expect(back?.trigger).toBe('heat_protection');
        expect(back?.text).toMatch(/under 22 °C, back to where it was/);
        await d.waitFor(
          () => d.position('living-blind') === 100 && d.position('kitchen-awning') === 70,
          3 * MINUTE,
          'the covers to be back at 100 % and 70 %',
        );
        // Only the rooms with a light reading and sun on them were protected.
        expect(d.climateCommands({ deviceId: 'bedroom-shutter' })).toEqual([]);
      },
      REAL_TIMEOUT_MS,
    );

    aedesOnly(
      '4. rain: nothing opens automatically, rain-sensing windows close themselves, the block is reported once',
      async () => {
        const d = await startDay(at(16), {
          layout: (layout) => {
            layout.occupancy = emptyHome();
            // Opened by hand at lunch; it has a rain sensor.
            layout.initialState = { ...layout.initialState, 'living-window-1': { position: 40 } };
          },
          weather: { temperature: 16, sunLux: 10_000 },
        });
        await d.clock.sleep(3 * MINUTE);
        expect(d.climateCommands(), d.describe()).toEqual([]);
        expect(d.position('living-window-1')).toBe(40);

        const rainAt = d.clock.now();
        d.sim.setWeather({ rain: true });
        const liftRainRule = d.forbid('automatic window opening in the rain', (c) => d.isAutomaticWindowOpening(c));
        // The windows' own rain sensors close them: hardware, no command involved.
        await d.waitFor(() => d.rainSensingWindows().every((id) => d.position(id) === 0), 2 * MINUTE, 'rain-sensing windows to close');
        expect(d.commands.filter((c) => c.deviceId === 'living-window-1'), d.describe()).toEqual([]);

        // In the rain the bedroom fills up and someone showers (the bathroom window has no rain sensor).
        d.sim.setOccupancy('Bedroom', 4);
        d.sim.shower('Bathroom');
        await d.waitFor(() => d.home.roomClimate('Bedroom').blocked?.guard === 'rain', 40 * MINUTE, 'the bedroom to be reported blocked by rain');
        await d.waitFor(() => d.home.roomClimate('Bathroom').blocked?.guard === 'rain', 20 * MINUTE, 'the bathroom to be reported blocked by rain');
        const blocked = d.home.roomClimate('Bedroom').blocked;
        expect(blocked?.detail).toMatch(/rain/);
        await d.clock.sleep(15 * MINUTE);
        expect(d.home.roomClimate('Bedroom').blocked?.guard).toBe('rain');
        expect(d.home.roomClimate('Bedroom').blocked?.since).toBe(blocked?.since);

        const rainEnd = d.clock.now();
        expect(d.automaticWindowOpenings({ since: rainAt }), d.describe(rainAt)).toEqual([]);
        expect(d.windows().every((id) => d.position(id) === 0), d.describe(rainAt)).toBe(true);
        // Reported once (log line and history), not at every evaluation of the ~30 rainy minutes.
        const lines = d.logLines(/^Bedroom: not opening windows .*rain/, rainAt);
        expect(lines.map((l) => l.message), d.describe(rainAt)).toHaveLength(1);
        expect(lines[0]?.message).toMatch(/CO2 \d+ ppm over 1150/);
        expect(d.decisions('Bedroom', rainAt).filter((h) => h.kind === 'blocked' && h.guard === 'rain')).toHaveLength(1);
        expect(d.logLines(/^Bathroom: not opening windows .*humidity.*rain/, rainAt)).toHaveLength(1);

        expect(d.violations).toEqual([]);
        // The rain stops: nothing opens within the hold after rain; then the bedroom is aired.
        liftRainRule();
        const dryAt = d.clock.now();
        d.sim.setWeather({ rain: false });
        const open = await waitForCommand(d, 'the bedroom window to open after the rain', SPEC.rainHoldMs + 5 * MINUTE, (c) => c.deviceId === 'bedroom-window', rainEnd);
        expect(open.position).toBe(SPEC.ventilationPosition);
        // The hold counts from the last evaluation that saw rain, at most one period before dryAt.
        expect(open.at, d.describe(rainAt)).toBeGreaterThanOrEqual(dryAt + SPEC.rainHoldMs - EVALUATION_PERIOD_MS);
        await d.waitFor(() => d.home.roomClimate('Bedroom').blocked === undefined, 2 * MINUTE, 'the bedroom block to clear');
      },
      REAL_TIMEOUT_MS,
    );

    it(
      '5. departure switch: every window closes, nothing opens until return (CO2 high), a manual open meanwhile is left alone',
      async () => {
        const d = await startDay(at(18), {
          layout: (layout) => {
            layout.occupancy = emptyHome({ Bedroom: 3 });
            layout.initialState = {
              ...layout.initialState,
              // Left open by someone earlier (no sensor of its own for rain).
              'living-window-2': { position: 30, battery: 85 },
              'bedroom-sensor': { temperature: 20, humidity: 50, co2: 1100, battery: 75 },
            };
          },
        });
        await waitForCommand(d, 'the bedroom window to be opened for CO2', 20 * MINUTE, (c) => c.deviceId === 'bedroom-window' && c.position === 25);
        await d.waitFor(() => d.position('bedroom-window') === 25, 2 * MINUTE, 'the bedroom window to reach 25 %');

        const departureAt = d.clock.now();
        expect(d.sim.pressDepartureSwitch()).toBe(true);
        const liftAwayRule = d.forbid('automatic window opening in departure mode', (c) => d.isAutomaticWindowOpening(c));
        await d.waitFor(() => d.home.away, 3 * MINUTE, 'the home to see departure mode');
        // The algorithm's own window and the one left open by a person both close.
        for (const id of ['bedroom-window', 'living-window-2']) {
          await waitForCommand(d, `${id} to be closed on departure`, 3 * MINUTE, (c) => c.deviceId === id && c.position === 0, departureAt);
        }
        await d.waitFor(() => d.windows().every((id) => d.position(id) === 0), 3 * MINUTE, 'every window to be closed');
        expect(d.decisions('Living room', departureAt).find((h) => h.device === d.key('living-window-2'))?.trigger).toBe('departure');

        // Away with the bedroom's CO2 climbing again: blocked (once the airing interval since the
        // last airing started is over), nothing opens.
        await d.waitFor(() => d.home.roomClimate('Bedroom').blocked?.guard === 'away', SPEC.airingIntervalMs + 10 * MINUTE, 'the bedroom to be reported blocked by departure mode');
        expect(d.logLines(/^Bedroom: not opening windows \(CO2 \d+ ppm over 1150\) — departure mode is on/, departureAt)).toHaveLength(1);

        // Someone (a neighbour watering plants) opens the kitchen window from HomeKit while away.
        const manualAt = d.clock.now();
        const result = await d.home.command(d.key('kitchen-window'), { position: 50 }, 'homekit');
        expect(result).toEqual({ ok: true });
        await d.waitFor(() => d.position('kitchen-window') === 50, 2 * MINUTE, 'the kitchen window to open by hand');
        d.forbid('the algorithm moving the window a person opened', (c) => c.deviceId === 'kitchen-window' && c.source === 'climate');

        // Stay away past the manual pause (60 min), so "left alone" is the departure rule's
        // doing and not only the pause's; the maximum airing time passes too.
        await d.waitFor(() => d.clock.now() > manualAt + SPEC.manualPauseMs + 3 * EVALUATION_PERIOD_MS, 90 * MINUTE, 'the manual pause to be over');
        expect(d.automaticWindowOpenings({ since: departureAt }), d.describe(departureAt)).toEqual([]);
        expect(d.home.roomClimate('Bedroom').blocked?.guard).toBe('away');
        expect(d.sim.roomClimate('Bedroom').co2).toBeGreaterThan(SPEC.co2Max + 100);
        expect(d.position('kitchen-window')).toBe(50);
        expect(d.violations).toEqual([]);

        // Home again: automatic airing resumes (the bedroom); the manual window is still left alone.
        liftAwayRule();
        const returnAt = d.clock.now();
        expect(d.sim.pressDepartureSwitch()).toBe(false);
        const reopen = await waitForCommand(d, 'the bedroom to be aired after the return', 5 * MINUTE, (c) => c.deviceId === 'bedroom-window' && c.position === 25, returnAt);
        expect(reopen.at).toBeGreaterThan(returnAt);
        await d.clock.sleep(3 * MINUTE);
        expect(d.climateCommands({ deviceId: 'kitchen-window' }), d.describe(departureAt)).toEqual([]);
        expect(d.position('kitchen-window')).toBe(50);
        expect(d.violations).toEqual([]);
      },
      REAL_TIMEOUT_MS,
    );

    it(
      '6. restart in the middle of an airing: the window still closes on time',
      async () => {
        const d = await startDay(at(21), {
          layout: (layout) => {
            // A party in the bedroom: even 25 % open cannot bring CO2 under 1000 ppm, only the maximum airing ends it.
            layout.occupancy = emptyHome({ Bedroom: 5 });
            layout.initialState = { ...layout.initialState, 'bedroom-sensor': { temperature: 20, humidity: 50, co2: 1100, battery: 75 } };
          },
          weather: { temperature: 18, sunLux: 0 },
        });
        const maxAiringMs = SPEC.maxAiringMs;
        const open = await waitForCommand(d, 'the bedroom window to be opened for CO2', 20 * MINUTE, (c) => c.deviceId === 'bedroom-window' && c.position === 25);
        const openedDecision = d.decisions('Bedroom').find((h) => h.kind === 'action' && h.trigger === 'co2');
        expect(openedDecision).toBeDefined();
        await d.waitFor(() => d.position('bedroom-window') === 25, 2 * MINUTE, 'the bedroom window to reach 25 %');

        // Ten minutes in, Homebridge restarts (five minutes down); the window stays open meanwhile.
        await d.waitFor(() => d.clock.now() >= open.at + 10 * MINUTE, 15 * MINUTE, 'ten minutes of airing');
        await d.restartPlugin(5 * MINUTE);
        expect(d.position('bedroom-window')).toBe(25);
        expect(d.climateCommands({ deviceId: 'bedroom-window', since: open.at + SECOND }), d.describe()).toEqual([]);

        const close = await waitForCommand(
          d,
          'the bedroom window to be closed at the maximum airing',
          maxAiringMs,
          (c) => c.deviceId === 'bedroom-window' && c.position === 0,
          open.at,
        );
        const closeDecision = d.decisions('Bedroom').find((h) => h.kind === 'action' && h.at > (openedDecision?.at ?? 0));
        expect(closeDecision?.trigger, d.describe()).toBe('max_airing');
        // Invariant 5: closed within the maximum airing plus one evaluation period (not early either).
        const decided = (closeDecision?.at ?? 0) - (openedDecision?.at ?? 0);
        expect(decided).toBeGreaterThanOrEqual(maxAiringMs);
        expect(decided).toBeLessThanOrEqual(maxAiringMs + EVALUATION_PERIOD_MS);
        expect(close.at - open.at, d.describe()).toBeLessThanOrEqual(maxAiringMs + EVALUATION_PERIOD_MS + TRANSPORT_SLACK_MS);
        await d.waitFor(() => d.position('bedroom-window') === 0, 2 * MINUTE, 'the bedroom window to be closed');
        // CO2 is still high, but the room rests after a maximum airing: no reopening right away.
        const closedAt = d.clock.now();
        await d.clock.sleep(10 * MINUTE);
        expect(d.sim.roomClimate('Bedroom').co2).toBeGreaterThan(SPEC.co2Max);
        expect(d.automaticWindowOpenings({ since: closedAt })).toEqual([]);
      },
      REAL_TIMEOUT_MS,
    );

    // Two behaviours found while writing these scenarios, now decided and fixed in the policy.
    it(
      'a window its rain sensor closed ends the airing, so the room is aired again when the rain stops',
      async () => {
        // Before the fix the policy still counted the closed window as airing: it sent a close to
        // the closed window at the maximum airing time, then rested another 30 min while CO2 climbed.
        // No minimum interval between airings here, so the reopening is the rain rule's doing.
        const d = await startDay(at(10), {
          settings: () => ({ airingIntervalMinutes: 0 }),
          layout: (layout) => {
            layout.occupancy = emptyHome({ Kitchen: 4 });
            layout.initialState = { ...layout.initialState, 'kitchen-sensor': { temperature: 21, humidity: 50, co2: 1300, battery: 60 } };
          },
        });
        const open = await waitForCommand(d, 'the kitchen window to be opened for CO2', 10 * MINUTE, (c) => c.deviceId === 'kitchen-window');
        await d.waitFor(() => d.position('kitchen-window') === 25, 2 * MINUTE, 'the kitchen window to reach 25 %');
        d.sim.setWeather({ rain: true });
        await d.waitFor(() => d.position('kitchen-window') === 0, 2 * MINUTE, 'the rain sensor to close the kitchen window');
        await d.clock.sleep(5 * MINUTE);
        const dryAt = d.clock.now();
        d.sim.setWeather({ rain: false });
        const reopen = await waitForCommand(d, 'the kitchen to be aired again after the rain', SPEC.rainHoldMs + 5 * MINUTE, (c) => c.deviceId === 'kitchen-window' && c.position === 25, dryAt);
        expect(reopen.at, d.describe()).toBeGreaterThanOrEqual(dryAt + SPEC.rainHoldMs - EVALUATION_PERIOD_MS);
        expect(d.climateCommands({ deviceId: 'kitchen-window', since: open.at + SECOND, until: dryAt }), d.describe()).toEqual([]);
      },
      REAL_TIMEOUT_MS,
    );

    it(
      'departure closes a window opened by hand a few minutes before leaving',
      async () => {
        // Decided: pressing departure is the person's later word, so it overrides the manual
        // pause of windows used before it (docs/climate-control.md).
        const d = await startDay(at(8), { layout: (layout) => void (layout.occupancy = emptyHome()) });
        expect(await d.home.command(d.key('living-window-2'), { position: 40 }, 'homekit')).toEqual({ ok: true });
        await d.clock.sleep(5 * MINUTE);
        const departureAt = d.clock.now();
        d.sim.pressDepartureSwitch();
        await waitForCommand(d, 'the window opened by hand to close on departure', 3 * MINUTE, (c) => c.deviceId === 'living-window-2' && c.position === 0, departureAt);
      },
      REAL_TIMEOUT_MS,
    );
  });
}
