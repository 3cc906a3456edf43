/**
 * The customer portal's build (issue 13): Vite + React, output in web/portal/dist, which the
 * server serves at `[server] portal_path` (src/grpc/portal-app-route.ts). `base: './'`: asset URLs
 * are relative, resolved against the `<base href>` the server puts into index.html, so one build
 * serves any portal_path. The API clients come from the same generated code as the server
 * (src/gen); web/shared holds what the portal shares with the admin console.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500, sourcemap: false },
  server: { fs: { allow: [fileURLToPath(new URL('../..', import.meta.url))] } },
});
