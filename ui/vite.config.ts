/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The bundle goes to ../web/dist, which the Go package web embeds. In
// development, `callfloor serve --ui-dev http://127.0.0.1:5173` proxies the
// pages to this dev server, so the API and the stream stay same-origin.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../web/dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 700,
  },
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    setupFiles: ["src/test/setup.ts"],
  },
});
