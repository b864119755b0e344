// Builds the web app into one folder that the Go package embeds:
// index.html, app.js, app.css and THIRD_PARTY_LICENSES.txt.
//
//   node build.mjs [outdir]     (default ../dist)
//
// NOMINIFY=1 writes readable output for profiling; never commit it.
//
// The output depends only on the sources and the locked dependencies, so
// a rebuild into another folder must equal the committed ../dist (the Go
// test TestAssetsCurrent checks this).
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] ?? join(here, '..', 'dist'));

// The packages whose code ends up in app.js; their licences ship with it.
const bundled = ['cytoscape', '@dagrejs/dagre', '@dagrejs/graphlib'];

// Only ever replace an earlier build (or an empty folder), never a folder
// that holds something else.
if (existsSync(outdir) && readdirSync(outdir).length && !existsSync(join(outdir, 'index.html'))) {
  console.error(`build: ${outdir} is not empty and holds no earlier build; refusing to replace it`);
  process.exit(1);
}
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

await esbuild.build({
  absWorkingDir: here,
  // main.js imports style.css, so esbuild writes app.css beside app.js.
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: process.env.NOMINIFY ? false : true,
  format: 'iife',
  target: ['chrome109', 'firefox115', 'safari16'],
  outdir,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
});
copyFileSync(join(here, 'src', 'index.html'), join(outdir, 'index.html'));

let notices = 'Third-party software bundled in app.js\n\n';
for (const name of bundled) {
  const dir = join(here, 'node_modules', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  notices += `${'='.repeat(72)}\n${pkg.name} ${pkg.version} (${pkg.license})\n${'='.repeat(72)}\n\n`;
  notices += readFileSync(join(dir, 'LICENSE'), 'utf8').trim() + '\n\n';
}
writeFileSync(join(outdir, 'THIRD_PARTY_LICENSES.txt'), notices);
