/**
 * Accessory UUIDs by seed (home/identity.ts's uuidSeed) for the HomeKit registry. A UUID is a
 * pure function of its seed (SHA-1, HAP's uuid.generate); deriving it again for every state
 * message is waste, so they are kept here, bounded whatever the churn of devices.
 */
const MAX_ENTRIES = 10_000;

export class UuidCache {
  private readonly uuids = new Map<string, string>();

  constructor(private readonly generate: (seed: string) => string) {}

  get(seed: string): string {
    let uuid = this.uuids.get(seed);
    if (uuid === undefined) {
      if (this.uuids.size >= MAX_ENTRIES) this.uuids.clear();
      uuid = this.generate(seed);
      this.uuids.set(seed, uuid);
    }
    return uuid;
  }
}
