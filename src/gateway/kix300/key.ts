/** Kept apart from kix300-gateway.ts so the config checks need not load hap-controller. */

/** The stable key of a homekit gateway inside the plugin: from its configured name. */
export function homekitGatewayKey(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `homekit:${slug || 'gateway'}`;
}
