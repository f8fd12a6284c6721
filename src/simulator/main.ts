#!/usr/bin/env node
/**
 * Standalone simulated home: `node dist/simulator/main.js --url mqtt://127.0.0.1:1883 --speed 10`.
 * Runs until SIGINT/SIGTERM, then leaves its retained topics in place with bridge/state
 * offline, as a real gateway that is switched off would.
 */
import { createInterface } from 'node:readline';
import { parseSimulatorArgs, USAGE, type SimulatorArgs } from './cli-args.js';
import { CONSOLE_HELP, runConsoleCommand } from './console-commands.js';
import { generateLayout } from './layout.js';
import { SimulatedHome } from './mqtt/gateway.js';

async function main(): Promise<number> {
  let args: SimulatorArgs;
  try {
    args = parseSimulatorArgs(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }

  const home = new SimulatedHome({
    url: args.url,
    baseTopic: args.baseTopic,
    timeScale: args.timeScale,
    layout: args.devices === undefined ? undefined : generateLayout(args.devices),
    gatewayId: args.gatewayId,
    mqttOptions: { username: args.username, password: args.password },
    responseDelayMs: args.responseDelayMs,
    seed: args.seed,
    log: (message) => console.warn(`[sim] ${message}`),
  });
  home.on('command', (received) => {
    console.log(`[sim] ${received.deviceId} <- ${JSON.stringify(received.payload)}`);
  });
  home.on('response', (response) => {
    if (response.status === 'error') console.log(`[sim] ${response.transaction}: ${response.error} (${response.message})`);
  });

  try {
    await home.start();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  const count = home.devices().length;
  console.log(`[sim] ${count} devices on ${args.url} under "${home.baseTopic}/" at ${args.timeScale}x. Ctrl-C to stop.`);

  const console_ = process.stdin.isTTY ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
  if (console_) {
    console.log(CONSOLE_HELP);
    console_.on('line', (line) => {
      runConsoleCommand(home, line).then(
        (output) => output && console.log(output),
        (error: unknown) => console.log(error instanceof Error ? error.message : String(error)),
      );
    });
  }

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    // readline swallows Ctrl-C on a TTY and emits its own SIGINT.
    console_?.once('SIGINT', resolve);
  });
  console_?.close();
  await home.stop({ keepRetained: true });
  console.log('[sim] stopped');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
