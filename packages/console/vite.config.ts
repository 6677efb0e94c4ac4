import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the control plane at /console/ (same origin as /api/v1). Everything is bundled: no CDN,
// no inline script (the CSP forbids it), hashed file names under assets/ for long caching.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
    reportCompressedSize: false,
    // The plugin-timing hint is noise on a loaded 2-core machine.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8082' } },
});
