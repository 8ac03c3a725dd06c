// The no-op ceiling of a plain Node Bull 4 worker: fill a paused queue, start the worker, time it from resume.
// Usage: node bull_noop.js '{"redis", "prefix", "queue", "count", "concurrency"}'; prints one JSON line.
"use strict";

const Queue = require("bull");

async function main() {
  const opts = JSON.parse(process.argv[2]);
  const queue = new Queue(opts.queue, opts.redis, { prefix: opts.prefix });
  await queue.pause(); // as the host's round trip is measured: the worker is up before the clock starts
  const jobs = Array.from({ length: opts.count }, (_, i) => ({ name: "noop", data: { i } }));
  for (let i = 0; i < jobs.length; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
  let done = 0;
  let started;
  await new Promise((resolve) => {
    queue.on("completed", () => { if (++done === opts.count) resolve(); });
    queue.process("*", opts.concurrency, async () => null);
    queue._initializingProcess.then(() => {
      started = process.hrtime.bigint();
      return queue.resume();
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ jobs: done, seconds, jobsPerSecond: done / seconds }) + "\n");
  await queue.close();
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
