/**
 * When a device's battery counts as low: one threshold for every layer (HomeKit's
 * StatusLowBattery, Matter's charge level), so they agree (test/kinds/cross-layer.test.ts).
 */

/** Battery at or below this percentage is low. */
export const LOW_BATTERY_PERCENT = 20;

/** At or below this it is critical (Matter has the level; HomeKit shows it as low). */
export const CRITICAL_BATTERY_PERCENT = 5;
