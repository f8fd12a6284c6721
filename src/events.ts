/**
 * Listening to a typed emitter (the home, a gateway) and removing every listener again at
 * once, with the events' argument types kept.
 */
import type { EventEmitter } from 'node:events';

export type EventMap<T> = { [K in keyof T]: unknown[] };

/** What `Subscriptions` needs of an emitter; Node's typed `EventEmitter<T>` has it. */
export interface Emitter<T extends EventMap<T>> {
  on<K extends keyof T>(event: K, listener: (...args: T[K]) => void): unknown;
  off<K extends keyof T>(event: K, listener: (...args: T[K]) => void): unknown;
}

export class Subscriptions<T extends EventMap<T>> {
  private readonly undo: Array<() => void> = [];

  private readonly emitter: Emitter<T>;

  constructor(emitter: EventEmitter<T> | Emitter<T>) {
    // Node's EventEmitter<T> types `on`/`off` through helper types TypeScript cannot match to
    // Emitter<T> by itself; they take exactly these listeners.
    this.emitter = emitter as Emitter<T>;
  }

  on<K extends keyof T>(event: K, listener: (...args: T[K]) => void): void {
    this.emitter.on(event, listener);
    this.undo.push(() => this.emitter.off(event, listener));
  }

  /** Removes every listener added through `on`. */
  clear(): void {
    for (const undo of this.undo.splice(0)) undo();
  }
}
