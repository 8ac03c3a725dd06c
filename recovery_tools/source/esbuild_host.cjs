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

async function build(request) {
  const options = {
    entryPoints: request.entryPoints, absWorkingDir: request.absWorkingDir, bundle: true, write: false,
    platform: 'node', packages: 'external', format: request.format, outdir: path.join(request.absWorkingDir,
      '.esbuild-load-check-out'), logLevel: 'silent', logLimit: 0, metafile: true,
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
