/**
 * Builds the `portchain ui` page into dist/web: one HTML file, hashed JS and CSS, and the layout worker
 * (elkjs runs there). Everything is bundled; the page loads nothing from the network but its own server.
 */
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = (path: string) => decodeURIComponent(new URL(path, import.meta.url).pathname);

export default defineConfig({
  root: here('.'),
  base: '/',
  logLevel: 'warn',
  plugins: [preact()],
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 4000,
    modulePreload: { polyfill: false },
    // elkjs is one large file; the timing report about transforming it is noise.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  worker: { format: 'es', rolldownOptions: { checks: { bundlerTimings: false } } },
});
