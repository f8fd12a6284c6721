/**
 * Tests issue commands as source "test". The domain type knows only the plugin's own sources
 * (gateway/types.ts); tests add theirs by declaration merging, as that file describes.
 */
declare module '../../src/gateway/types.js' {
  interface CommandSources {
    test: true;
  }
}
export {};
