#!/usr/bin/env node
/** Entry point of the `velux-climate` command (package bin); the CLI itself is in cli.ts. */
import { main } from './cli.js';
import { processIo } from './io.js';

process.exitCode = await main(process.argv.slice(2), processIo(), { switchUser: true });
// A pipe that stays open would keep the process alive after the last password was read.
if (!process.stdin.isTTY) process.stdin.destroy();
