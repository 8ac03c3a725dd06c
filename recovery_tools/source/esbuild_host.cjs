// esbuild's JS API for the tools: one JSON request on stdin, one JSON answer on stdout.
// argv: <node_modules holding esbuild> <mode>, mode "build" (bundle entry points, report messages)
// or "transform" (does each file parse with its loader?).
'use strict';
const fs = require('fs');
const path = require('path');
const esbuild = require(path.join(process.argv[2], 'esbuild'));

function message(m) {
  const loc = m.location;
  return {
    id: m.id || '', text: m.text,
    location: loc ? { file: loc.file, line: loc.line, column: loc.column, lineText: loc.lineText } : null,
    notes: (m.notes || []).map((n) => n.text),
  };
}

// A name npm publishes (letters, digits, `-._`; old ones have capitals; a scope needs a name): `~/lib/x`, `@/x`
// and `#x` are the app's own aliases (tsconfig paths, package.json imports), never packages.
const PACKAGE = /^(?:@[A-Za-z0-9-][A-Za-z0-9-._]*\/)?[A-Za-z0-9-][A-Za-z0-9-._]*(?:\/.*)?$/;
const INNER = 'load-check-inner';

// Packages stay external, as `packages: 'external'` would, but only after esbuild's own resolver had its say:
// an alias to the app's own file is bundled (so a missing name or file behind it is found) and an alias to a
// file that is not there is an error, while an npm package (installed or not) and a Node builtin are external.
const externals = {
  name: 'externals',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === INNER) return undefined;
      const found = await build.resolve(args.path, {
        kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: INNER,
      });
      if (!found.errors.length && !found.external && !found.path.split(path.sep).includes('node_modules')) {
        return { path: found.path };
      }
      if (found.errors.length && !PACKAGE.test(args.path) && !args.path.startsWith('node:')) {
        return { errors: found.errors };
      }
      return { path: args.path, external: true };
    });
  },
};

async function build(request) {
  const options = {
    entryPoints: request.entryPoints, absWorkingDir: request.absWorkingDir, bundle: true, write: false,
    platform: 'node', format: request.format, outdir: path.join(request.absWorkingDir, '.esbuild-load-check-out'),
    logLevel: 'silent', logLimit: 0, metafile: true, plugins: [externals],
  };
  try {
    const result = await esbuild.build(options);
    return { errors: [], warnings: result.warnings.map(message), inputs: Object.keys(result.metafile.inputs).length };
  } catch (error) {
    if (!error.errors) throw error;
    return { errors: error.errors.map(message), warnings: (error.warnings || []).map(message), inputs: null };
  }
}

async function transformOne(file) {
  try {
    await esbuild.transform(fs.readFileSync(file.path, 'utf8'), { loader: file.loader, logLevel: 'silent' });
    return { path: file.path, error: null };
  } catch (error) {
    const first = error.errors && error.errors[0];
    if (!first) return { path: file.path, error: String(error.message || error).split('\n')[0] };
    const loc = first.location;
    return { path: file.path, error: loc ? `${loc.line}:${loc.column}: ${first.text}` : first.text };
  }
}

async function transform(request) {
  const results = [];
  for (let i = 0; i < request.files.length; i += 64) {
    results.push(...await Promise.all(request.files.slice(i, i + 64).map(transformOne)));
  }
  return { results };
}

async function main() {
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  const answer = process.argv[3] === 'build' ? await build(request) : await transform(request);
  answer.version = esbuild.version;
  process.stdout.write(JSON.stringify(answer));
}

main().catch((error) => {
  process.stderr.write(`esbuild host: ${String(error && error.message || error).split('\n')[0]}\n`);
  process.exit(3);
});
