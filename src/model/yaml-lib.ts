/**
 * The `yaml` library, loaded on first use. Inputs the fast readers take whole never need it, and loading it
 * is a quarter of a small run's start-up (46-67 ms). It is a CommonJS package, so `require` loads it
 * synchronously, as the same module instance an `import` would give.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

export function yamlLib(): typeof Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}
