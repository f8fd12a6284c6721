/**
 * The climate control's actions for a chart's time line: what it opened, closed or lowered and
 * what it wanted but could not do (blocked, and why). They are the climate history's entries
 * (climate/store.ts, kept `climate.historyDays` with a timestamp each); this only reads them.
 */
import { readFileSync } from 'node:fs';
import type { ClimateHistoryEntry } from '../climate/controller.js';
import { parseClimateHistory } from '../climate/store.js';

/** The entries of one room (or all rooms) with `fromMs <= at <= toMs`, oldest first. */
export function climateEvents(entries: readonly ClimateHistoryEntry[], room: string | undefined, fromMs: number, toMs: number): ClimateHistoryEntry[] {
  return entries.filter((e) => (room === undefined || e.room === room) && e.at >= fromMs && e.at <= toMs).sort((a, b) => a.at - b.at);
}

/** Reads climate-history.json without changing it (missing or unreadable → no entries). */
export function readClimateHistoryFile(path: string): ClimateHistoryEntry[] {
  try {
    return parseClimateHistory(JSON.parse(readFileSync(path, 'utf8'))) ?? [];
  } catch {
    return [];
  }
}
