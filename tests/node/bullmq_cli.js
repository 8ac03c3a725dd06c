// Drives the real Node BullMQ package (whichever NODE_PATH resolves) for the manage-queues interop tests.
// Usage: node bullmq_cli.js <add|work|resume|version> '<json options>'; prints one JSON object per line.
"use strict";

const { Queue, Worker } = require("bullmq");

function connectionFrom(url) {
  const parsed = new URL(url);
  const db = parsed.pathname && parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    maxRetriesPerRequest: null,
  };
}

const say = (object) => process.stdout.write(JSON.stringify(object) + "\n");

async function add(opts, connection) {
  // Adds opts.count jobs named "work", data {i, fail, sleep}; indices listed in opts.fail throw in the worker,
  // whose body first waits opts.sleep ms (a long-running job); opts.priority, delay and removeOnComplete go to
  // every job's options.
  const queue = new Queue(opts.queue, { connection, prefix: opts.prefix });
  const ids = [];
  for (let n = 0; n < opts.count; n++) {
    const i = (opts.start || 0) + n;
    const jobOpts = {};
    if (opts.priority) jobOpts.priority = opts.priority;
    if (opts.delay) jobOpts.delay = opts.delay;
    if (opts.removeOnComplete) jobOpts.removeOnComplete = opts.removeOnComplete;
    const job = await queue.add("work", { i, fail: (opts.fail || []).includes(i), sleep: opts.sleep || 0 }, jobOpts);
    ids.push(job.id);
  }
  say({ event: "added", ids, version: await queue.getVersion() });
  await queue.close();
}

async function work(opts, connection) {
  // Runs a worker until stdin closes (or opts.exitAfter jobs finished), reporting every event.
  let finished = 0;
  const worker = new Worker(
    opts.queue,
    async (job) => {
      if (job.data.sleep) await new Promise((done) => setTimeout(done, job.data.sleep));  // a long-running job
      if (job.data.fail) throw new Error(`boom ${job.id}`);
      return { ok: job.data.i };
    },
    { connection, prefix: opts.prefix, concurrency: 1 },
  );
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    await worker.close();
    say({ event: "closed" });
    process.exit(0);
  };
  const count = () => {
    finished += 1;
    if (opts.exitAfter && finished >= opts.exitAfter) stop();
  };
  worker.on("ready", () => say({ event: "ready" }));
  worker.on("drained", () => say({ event: "drained" }));
  worker.on("active", (job) => say({ event: "active", id: job.id }));
  worker.on("completed", (job) => { say({ event: "completed", id: job.id }); count(); });
  worker.on("failed", (job, error) => { say({ event: "failed", id: job && job.id, error: error.message }); count(); });
  worker.on("error", (error) => say({ event: "error", error: String(error) }));
  process.stdin.on("end", stop);
  process.stdin.resume();
  process.on("SIGTERM", stop);
}

async function resume(opts, connection) {
  // The app's own Queue.resume() of this BullMQ version (5.x renames `paused` over `wait`).
  const queue = new Queue(opts.queue, { connection, prefix: opts.prefix });
  await queue.resume();
  say({ event: "resumed", counts: await queue.getJobCounts("waiting", "paused") });
  await queue.close();
}

async function version() {
  say({ event: "version", version: require("bullmq/package.json").version });
}

const commands = { add, work, resume, version };

async function main() {
  const [command, raw] = process.argv.slice(2);
  const opts = JSON.parse(raw || "{}");
  if (!commands[command]) throw new Error(`unknown command ${command}`);
  await commands[command](opts, opts.redis ? connectionFrom(opts.redis) : undefined);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
