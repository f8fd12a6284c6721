/**
 * Typed commands for the standalone simulator's console, so a person at the keyboard can
 * make it rain, press the departure switch or fill a room while watching the bridge react.
 */
import type { SimulatedHome } from './mqtt/gateway.js';

export const CONSOLE_HELP = `Commands:
  rain on|off            start or stop rain
  temp <°C>              outdoor temperature
  wind <m/s>             wind speed
  sun <lux>              outdoor illuminance
  press                  press the departure switch
  people <room> <n>      set how many people are in a room
  shower <room>          humidity spike in a room
  reachable <id> on|off  radio reachability of one device
  offline | online       take the whole gateway offline or back
  state [id]             print one device's state, or all of them
  help                   this list`;

/** Run one console line against the home; returns what to print. Throws on bad input. */
export async function runConsoleCommand(home: SimulatedHome, line: string): Promise<string> {
  const [verb = '', ...args] = line.trim().split(/\s+/);
  const rest = args.join(' ');
  switch (verb) {
    case '':
      return '';
    case 'help':
      return CONSOLE_HELP;
    case 'rain':
      home.setWeather({ rain: onOff(args[0]) });
      return `rain ${home.weather().rain ? 'on' : 'off'}`;
    case 'temp':
      home.setWeather({ temperature: finite(args[0]) });
      return `outdoor ${home.weather().temperature} °C`;
    case 'wind':
      home.setWeather({ windSpeed: finite(args[0]) });
      return `wind ${home.weather().windSpeed} m/s`;
    case 'sun':
      home.setWeather({ sunLux: finite(args[0]) });
      return `sun ${home.weather().sunLux} lx`;
    case 'press':
      return `away ${home.pressDepartureSwitch() ? 'on' : 'off'}`;
    case 'people': {
      const count = finite(args.at(-1));
      const room = args.slice(0, -1).join(' ');
      home.setOccupancy(room, count);
      return `${room}: ${count} people`;
    }
    case 'shower':
      home.shower(rest);
      return `${rest}: humidity ${Math.round(home.roomClimate(rest).humidity)} %`;
    case 'reachable':
      home.setReachable(args[0] ?? '', onOff(args[1]));
      return `${args[0]} ${args[1]}`;
    case 'offline':
      await home.goOffline();
      return 'gateway offline';
    case 'online':
      await home.goOnline();
      return 'gateway online';
    case 'state': {
      const ids = rest ? [rest] : home.devices().map((device) => device.id);
      return ids.map((id) => `${id} ${JSON.stringify(home.state(id) ?? null)}`).join('\n');
    }
    default:
      throw new Error(`unknown command "${verb}" (type help)`);
  }
}

function onOff(word: string | undefined): boolean {
  if (word === 'on') return true;
  if (word === 'off') return false;
  throw new Error('expected on or off');
}

function finite(word: string | undefined): number {
  const value = Number(word);
  if (word === undefined || word === '' || !Number.isFinite(value)) {
    throw new Error(`expected a number, got "${word ?? ''}"`);
  }
  return value;
}
