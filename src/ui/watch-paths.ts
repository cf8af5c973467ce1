/**
 * Watches the input files and folders for `portchain ui` (reload on change), debounced. A file is watched
 * through its folder, as src/runtime/watch.ts does: editors save by replacing the file, which ends a watch on it.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface PathWatcher {
  close(): void;
}

export function watchPaths(
  paths: readonly string[],
  onChange: () => void,
  onError: (e: Error) => void = () => {},
  debounceMs = 150,
): PathWatcher {
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const trigger = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (!closed) onChange();
    }, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  for (const p of paths) {
    if (p === '-') continue;
    try {
      const w = statSync(p).isDirectory()
        ? watch(p, { recursive: true }, trigger)
        : watch(dirname(p), (_event, name) => {
            if (name === null || name === basename(p)) trigger();
          });
      w.on('error', onError);
      watchers.push(w);
    } catch (e) {
      onError(e as Error);
    }
  }
  return {
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
