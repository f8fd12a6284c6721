/**
 * Preloaded (`node --import`) into the demo's Homebridge unless `--lan`: every TCP server of
 * that process listens on 127.0.0.1 (see src/simulator/loopback.ts for why), so the demo's
 * HomeKit bridge, with its published setup code, is not reachable from the network.
 */
import { listenOnLoopbackOnly } from '../simulator/loopback.js';

listenOnLoopbackOnly();
