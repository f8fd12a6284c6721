/**
 * Config validation against config.schema.json: the same file renders the Homebridge
 * settings form and (compiled into a validator at build time) checks the config at start-up,
 * so the two cannot disagree.
 * Every problem becomes one message naming the field; defaults are filled in.
 */
import type { PlatformConfig } from './types.js';
import { dropForeignFields, gatewayConfigProblems, gatewayFieldHint } from '../gateway/transports.js';
import { checkRoomSettings, resolveClimateSettings } from '../climate/settings.js';
// Compiled from config.schema.json at build time (scripts/generate-config-validator.mjs, ajv
// standalone code): no schema compile at start-up and no ajv at run time.
import { validate as schemaValidate } from './schema-validator.generated.js';

/** One problem as the compiled validator reports it (ajv's ErrorObject, the fields used here). */
interface ErrorObject {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}
interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
const validate = schemaValidate as ValidateFunction;

export type ConfigResult = { ok: true; config: PlatformConfig } | { ok: false; problems: string[] };

export function validateConfig(raw: unknown): ConfigResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, problems: ['the platform block must be an object'] };
  // Homebridge adds its own keys (platform, _bridge); they are not ours to judge.
  const { platform, _bridge: _ignored, ...ours } = raw as Record<string, unknown>;
  let config: Record<string, unknown>;
  try {
    config = structuredClone(ours);
  } catch (err) {
    // e.g. nesting deeper than the engine can copy: a config nobody meant to write
    return { ok: false, problems: [`(platform block): cannot be read (${err instanceof Error ? err.message : String(err)})`] };
  }
  const problems: string[] = [];
  if (!validate(config)) problems.push(...(validate.errors ?? []).map(describe));
  if (problems.length === 0) problems.push(...semanticProblems(config as unknown as PlatformConfig));
  if (problems.length > 0) return { ok: false, problems: [...new Set(problems)] };
  // Another transport's fields in an entry (left by the settings form when the type changed, or
  // filled in by that transport's schema defaults) mean nothing for it: drop them.
  dropForeignFields((config as unknown as PlatformConfig).gateways);
  return { ok: true, config: { ...(config as unknown as PlatformConfig), platform: typeof platform === 'string' ? platform : 'VeluxClimate' } };
}

/** Turns `/gateways/0/url` into `gateways[0].url`, the way people read their config. */
function fieldName(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(platform block)';
}

function describe(e: ErrorObject): string {
  const params = e.params;
  switch (e.keyword) {
    case 'required':
      return `${fieldName(e.instancePath, String(params.missingProperty))}: is required`;
    case 'additionalProperties':
      return `${fieldName(e.instancePath, String(params.additionalProperty))}: is not a known setting (check the spelling)`;
    case 'type':
      return `${fieldName(e.instancePath)}: must be ${params.type === 'integer' ? 'a whole number' : `a ${String(params.type)}`}`;
    case 'minimum':
    case 'maximum':
      return `${fieldName(e.instancePath)}: must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}`;
    case 'pattern':
      return `${fieldName(e.instancePath)}: has the wrong format (${hintFor(e.instancePath)})`;
    case 'enum':
      return `${fieldName(e.instancePath)}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minItems':
      return `${fieldName(e.instancePath)}: needs at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}`;
    default:
      return `${fieldName(e.instancePath)}: ${e.message ?? 'is invalid'}`;
  }
}

function hintFor(path: string): string {
  const gatewayField = /^\/gateways\/\d+\/(?:.*\/)?([^/]+)$/.exec(path)?.[1];
  const gatewayHint = gatewayField ? gatewayFieldHint(gatewayField) : undefined;
  if (gatewayHint) return gatewayHint;
  if (path.endsWith('/pin')) return '4 to 12 digits';
  if (path.endsWith('/publicUrl')) return 'expected an https:// URL';
  if (path.endsWith('/projectId')) return "the Google project's id, lower-case letters, digits and dashes";
  if (path.endsWith('/start') || path.endsWith('/end')) return 'expected HH:MM';
  return 'see the settings form';
}

function semanticProblems(config: PlatformConfig): string[] {
  const problems: string[] = [];
  problems.push(...gatewayConfigProblems(config.gateways));
  const google = config.google;
  if (google?.enabled) {
    for (const key of ['projectId', 'clientId', 'clientSecret'] as const) {
      if (!google[key]) problems.push(`google.${key}: is required when google.enabled is true`);
    }
  }
  const climate = config.climate;
  if (climate) {
    // The combined rules (min below max, hysteresis below the limit, …) live with the
    // settings; a room inherits the defaults, so a pair split between them is checked too.
    const { defaults, rooms: resolved } = resolveClimateSettings(climate);
    const inDefaults = new Set<string>();
    for (const p of checkRoomSettings(defaults)) {
      inDefaults.add(p.message);
      problems.push(`climate.defaults.${p.key}: ${p.message}`);
    }
    const rooms = new Set<string>();
    resolved.forEach(({ room, settings }, i) => {
      for (const p of checkRoomSettings(settings)) {
        if (!inDefaults.has(p.message)) problems.push(`climate.rooms[${i}].${p.key}: ${p.message} (room "${room}", with the defaults applied)`);
      }
      if (rooms.has(room)) problems.push(`climate.rooms[${i}].room: "${room}" is listed twice`);
      rooms.add(room);
    });
  }
  return problems;
}
