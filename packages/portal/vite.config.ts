import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the control plane at /portal/ (same origin as /api/v1), like the console: everything
// bundled, no inline script (the CSP forbids it), hashed file names under assets/.
export default defineConfig({
  base: '/portal/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    // The OpenAPI renderer (Swagger UI) is one large chunk, loaded only on the Reference tab.
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8082' } },
});
