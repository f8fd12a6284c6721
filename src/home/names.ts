/**
 * Names, serial numbers and revision strings the way HomeKit (and Homebridge's Matter bridge,
 * which takes the same names) accepts them. Identities are in identity.ts.
 */

/** HAP's `Name` characteristic holds at most 64 characters. */
export const MAX_NAME_LENGTH = 64;

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/** Allowed inside a name: letters, digits, spaces, apostrophes (straight and curly), dashes, dots, commas. */
const NOT_ALLOWED_INSIDE = /[^\p{L}\p{N} '\u2019.,-]+/gu;

/**
 * A name HomeKit accepts: starts and ends with a letter or digit and contains only letters,
 * digits, spaces, apostrophes, dashes, dots and commas. Anything else becomes a space;
 * runs of spaces collapse. When too little is left (HAP wants at least two characters), the
 * fallback is used, with the leftover character appended ("7" → "Window 7").
 */
export function sanitizeName(name: string, fallback = 'VELUX'): string {
  const cleaned = trimToLetterOrDigit(
    name
      .normalize('NFC')
      .replace(NOT_ALLOWED_INSIDE, ' ')
      .replace(/\s+/gu, ' '),
  );
  const shortened = trimToLetterOrDigit(cleaned.slice(0, MAX_NAME_LENGTH));
  if ([...shortened].length >= 2) return shortened;
  const safeFallback = fallback === 'VELUX' ? fallback : sanitizeName(fallback);
  return shortened ? `${safeFallback} ${shortened}`.slice(0, MAX_NAME_LENGTH) : safeFallback;
}

/** Drops leading and trailing characters until both ends are a letter or digit. */
function trimToLetterOrDigit(value: string): string {
  const chars = [...value];
  let start = 0;
  let end = chars.length;
  while (start < end && !LETTER_OR_DIGIT.test(chars[start] ?? '')) start++;
  while (end > start && !LETTER_OR_DIGIT.test(chars[end - 1] ?? '')) end--;
  return chars.slice(start, end).join('');
}

/** A serial number for accessories without one of their own: derived from the UUID, so stable. */
export function serialFromUuid(uuid: string): string {
  return uuid.replace(/-/g, '').slice(0, 12).toUpperCase();
}

/**
 * HomeKit expects FirmwareRevision as `major[.minor[.patch]]`; the Home app misbehaves on
 * anything else. Takes the leading version out of strings like "1.0.0-sim" or "v2.1".
 */
export function firmwareRevision(value: string | undefined): string | undefined {
  const match = value?.trim().match(/^v?(\d+(?:\.\d+){0,2})/i);
  return match?.[1];
}
