/** The logging surface the plugin needs; Homebridge's `Logging` satisfies it. */
export interface Logger {
  info(message: string, ...params: unknown[]): void;
  warn(message: string, ...params: unknown[]): void;
  error(message: string, ...params: unknown[]): void;
  debug(message: string, ...params: unknown[]): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

/** Console logger with a prefix, for the CLI, the demo and the simulator. */
export function consoleLogger(prefix: string, debug = false): Logger {
  const p = `[${prefix}]`;
  return {
    info: (m, ...a) => console.log(p, m, ...a),
    warn: (m, ...a) => console.warn(p, m, ...a),
    error: (m, ...a) => console.error(p, m, ...a),
    debug: (m, ...a) => (debug ? console.log(p, m, ...a) : undefined),
  };
}
