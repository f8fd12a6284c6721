/**
 * A room's climate control in a few plain sentences for the UI's Rooms page, e.g.
 * "airing since 10:42 because CO2 1,240 ppm over 1,150", "blocked: rain reported (weather)",
 * "paused: Kitchen window moved by hand at 10:15, until 10:45". Built from what the CLI's
 * `climate status` reads (the controller's memory) and the running plugin's live view
 * (blocks, the last evaluation's notes, the newest decisions, which carry the reasons).
 */
import { TRIGGER_WORDS, type ClimateStatus } from '../cli/climate.js';
import type { UiDevice, UiRoom } from './plugin-socket.js';

/** "10:42" today, "3 Dec 10:42" on another day (local time of the machine, like the CLI). */
export function clock(at: number, now: number): string {
  const d = new Date(at);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return new Date(now).toDateString() === d.toDateString() ? hm : `${d.getDate()} ${d.toLocaleString('en', { month: 'short' })} ${hm}`;
}

/** The reason part of a decision's text ("Kitchen: opening Kitchen window to 25 % — CO2 1,320 ppm over 1,150"). */
function reasonOf(text: string): string {
  const dash = text.lastIndexOf(' — ');
  return dash >= 0 ? text.slice(dash + 3) : text;
}

export function describeRoom(room: UiRoom, devices: readonly UiDevice[], status: ClimateStatus | undefined, now: number, climateRunning: boolean): string[] {
  if (!room.climateCapable) return ['no climate control here (it needs a sensor and a window or cover in the room)'];
  if (!climateRunning) return ['the climate control is switched off in the settings (climate.enabled)'];
  if (!room.climateEnabled) return ['climate control off for this room'];
  const words: string[] = [];
  const keys = new Set(devices.map((d) => d.key));
  const name = (key: string) => devices.find((d) => d.key === key)?.name ?? key;
  const remembered = status?.rooms.find((r) => r.room === room.name);

  if (remembered?.airing) {
    const since = Date.parse(remembered.airing.since);
    const decision = [...room.recent].reverse().find((e) => e.kind === 'action' && e.trigger === remembered.airing?.reason);
    const because = decision ? reasonOf(decision.text) : (TRIGGER_WORDS[remembered.airing.reason] ?? remembered.airing.reason.replace(/_/g, ' '));
    words.push(`airing since ${clock(since, now)} because ${because}`);
  }
  if (room.blocked) words.push(`blocked: ${room.blocked.detail} (since ${clock(room.blocked.since, now)})`);
  for (const pause of status?.manualPauses ?? []) {
    if (!keys.has(pause.device)) continue;
    words.push(`paused: ${name(pause.device)} moved by hand at ${clock(Date.parse(pause.usedAt), now)}, until ${clock(Date.parse(pause.until), now)}`);
  }
  for (const cover of status?.heatProtected ?? []) {
    if (keys.has(cover.device)) words.push(`${name(cover.device)} lowered against heat since ${clock(Date.parse(cover.since), now)}; back once the room is under ${cover.backBelow} °C`);
  }
  if (remembered?.restUntil) words.push(`resting after the maximum airing until ${clock(Date.parse(remembered.restUntil), now)}`);
  for (const note of room.notes) if (!words.some((w) => w.includes(note))) words.push(note);
  if (words.length === 0) words.push('watching: nothing to do');
  return words;
}
