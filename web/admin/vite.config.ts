/**
 * The admin console's build (issue 12): Vite + React, output in web/admin/dist, which the server
 * serves at `[server] admin_path` (src/grpc/admin-app-route.ts). `base: './'`: asset URLs are
 * relative, resolved against the `<base href>` the server puts into index.html, so one build serves
 * any admin_path. The API clients come from the same generated code as the server (src/gen).
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
