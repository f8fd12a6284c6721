/**
 * The home's persisted state (departure mode of the virtual switch, per-room climate on/off,
 * gateway identity records) held in one place: every part of the home reads it here and
 * changes it through `update`, which hands the whole new state to the caller's `persist`.
 */
import type { PersistedHomeState } from './model.js';

export class HomeStateStore {
  private value: PersistedHomeState;

  constructor(
    initial: PersistedHomeState | undefined,
    private readonly persist?: (state: PersistedHomeState) => void,
  ) {
    this.value = structuredClone(initial ?? { virtualAway: false, roomClimateEnabled: {} });
  }

  get current(): Readonly<PersistedHomeState> {
    return this.value;
  }

  update(patch: Partial<PersistedHomeState>): void {
    this.value = { ...this.value, ...patch };
    this.persist?.(this.value);
  }

  /** A copy the caller may keep. */
  snapshot(): PersistedHomeState {
    return structuredClone(this.value);
  }
}
