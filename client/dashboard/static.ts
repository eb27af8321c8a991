import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The page's own files, served from `public/`. */
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Chart.js's UMD build from the installed package (served by the dashboard itself: no CDN). */
export function chartJsFile(): string {
  // The package's exports map hides dist/ paths; its main entry lives beside the UMD build.
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
}

/**
 * The page and the chart library. Read per request (small files), so an edit of the page shows
 * on reload; everything is same-origin, as the content security policy states.
 */
export function registerStatic(app: FastifyInstance, publicDir: string): void {
  const csp = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
  for (const [url, { file, type }] of Object.entries(PAGE_FILES)) {
    app.get(url, async (_request, reply) => {
      const body = await fs.readFile(path.join(publicDir, file));
      return reply.header('content-type', type).header('cache-control', 'no-cache').header('content-security-policy', csp).send(body);
    });
  }
  // Browsers ask for it on every page, `/data` answers included.
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  const vendor = chartJsFile();
  app.get('/vendor/chart.umd.js', async (_request, reply) => {
    const body = await fs.readFile(vendor);
    return reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body);
  });
}
