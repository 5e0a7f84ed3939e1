import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import vuetify from 'vite-plugin-vuetify'

// `npm run dev` serves the pages with hot reload and sends the API to a running ./infra/run.
const api = process.env.C2S_API ?? 'http://127.0.0.1:3000'

// The design system's sources (its theme tokens) import each other as "@/…".
const synapseSrc = fileURLToPath(new URL('./node_modules/@cnamts/synapse/src/', import.meta.url))

export default defineConfig({
  plugins: [vue(), vuetify({ autoImport: true })],
  resolve: { alias: [{ find: /^@\//, replacement: synapseSrc }] },
  build: {
    // The partner space and the back-office are one bundle each, loaded by their routes
    // only; the beneficiary's pages stay one chunk per page so the first one stays light.
    rolldownOptions: {
      output: {
        codeSplitting: {
          // Only the pages themselves: what they share with other spaces stays shared.
          includeDependenciesRecursively: false,
          groups: [
            // routes.js stays in the entry: it only names the pages.
            { name: 'espace-partenaires', test: /\/src\/partner\/(?!routes\.js)/ },
            { name: 'back-office', test: /\/src\/agent\/(?!routes\.js)/ },
          ],
        },
      },
    },
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': api, '/dev': api, '/s3': api, '/config.json': api },
  },
})
