/**
 * The layer boundaries `npm run lint` enforces (eslint.config.js): each forbidden import is
 * reported, and the allowed ones are not, so the rule cannot silently stop matching.
 */
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries in npm run lint', () => {
  it.each([
    ['src/home/model.ts', "import { MqttGateway } from '../gateway/mqtt/gateway.js';"],
    ['src/platform.ts', "import { MqttGateway } from './gateway/mqtt/gateway.js';"],
    ['src/homekit/registry.ts', "import { decodeDevices } from '../gateway/mqtt/codec.js';"],
    ['src/climate/controller.ts', "import type { MqttGatewayConfig } from '../gateway/mqtt/gateway.js';"],
    ['src/google/mapping.ts', "import { sanitizeName } from '../homekit/names.js';"],
    ['src/matter/index.ts', "import { deviceEntity } from '../google/mapping.js';"],
    ['src/homekit/registry.ts', "import { MatterHome } from '../matter/index.js';"],
    ['src/climate/policy.ts', "import { readFileSync } from 'node:fs';"],
    ['src/climate/guards.ts', "import { openClimateStore } from './store.js';"],
    ['src/climate/ventilation.ts', "import { JsonFile } from '../storage/json-file.js';"],
  ])('refuses in %s: %s', async (file, code) => {
    expect(await problems(file, `${code}\nexport {};\n`)).toHaveLength(1);
  });

  it.each([
    ['src/platform.ts', "import { createGateway } from './gateway/transports.js';"],
    ['src/home/model.ts', "import type { Gateway } from '../gateway/types.js';"],
    ['src/matter/index.ts', "import { uuidSeed } from '../home/identity.js';"],
    ['src/climate/controller.ts', "import { openClimateStore } from './store.js';"],
    ['src/gateway/transports.ts', "import { mqttTransport } from './mqtt/transport.js';"],
    ['src/simulator/mqtt/gateway.ts', "import { encodeDevices } from '../../gateway/mqtt/codec.js';"],
  ])('allows in %s: %s', async (file, code) => {
    expect(await problems(file, `${code}\nexport {};\n`)).toEqual([]);
  });
});
