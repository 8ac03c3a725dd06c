// Drives the real Node `bull` 4 package (whichever NODE_PATH resolves) for the manage-queues interop tests.
// Usage: node bull_cli.js <add|work|pause|resume|is-paused|version> '<json options>'; one JSON object per line.
"use strict";

const Queue = require("bull");
const Redis = require("ioredis");

const say = (object) => process.stdout.write(JSON.stringify(object) + "\n");

function open(opts, extra = {}) {
  return new Queue(opts.queue, opts.redis, { prefix: opts.prefix, ...extra });
}

async function add(opts) {
  // Adds opts.count jobs, data {i, fail, sleep}; indices listed in opts.fail throw in the worker, whose body first
  // waits opts.sleep ms (a long-running job); opts.priority, delay and removeOnComplete go to every job's options.
  const queue = open(opts);
  const ids = [];
  for (let n = 0; n < opts.count; n++) {
    const i = (opts.start || 0) + n;
    const jobOpts = {};
    if (opts.priority) jobOpts.priority = opts.priority;
    if (opts.delay) jobOpts.delay = opts.delay;
    if (opts.removeOnComplete) jobOpts.removeOnComplete = opts.removeOnComplete;
    const job = await queue.add({ i, fail: (opts.fail || []).includes(i), sleep: opts.sleep || 0 }, jobOpts);
    ids.push(String(job.id));
  }
  say({ event: "added", ids });
  await queue.close();
}

async function work(opts) {
  // Processes jobs until stdin closes, reporting every event. Each wait for a job on the blocking
  // connection is reported as "poll" (start and end times in ms, and whether it got a job), so a test can
  // tell that the worker looked at `wait` after a given moment and found nothing.
  const createClient = (type, config) => {
    const client = new Redis({ ...config, ...(type === "client" ? {} : { maxRetriesPerRequest: null }) });
    if (type === "bclient") {
      const blocking = client.brpoplpush.bind(client);
      client.brpoplpush = async (...args) => {
        const started = Date.now();
        const got = await blocking(...args);
        say({ event: "poll", started, ended: Date.now(), got: got === null ? null : String(got) });
        return got;
      };
    }
    return client;
  };
  const queue = open(opts, { createClient, settings: { drainDelay: opts.drainDelay || 1 } });
  queue.on("active", (job) => say({ event: "active", id: String(job.id) }));
  queue.on("completed", (job) => say({ event: "completed", id: String(job.id) }));
  queue.on("failed", (job, error) => say({ event: "failed", id: String(job.id), error: error.message }));
  queue.on("error", (error) => say({ event: "error", error: String(error) }));
  queue.process(1, async (job) => {
    if (job.data.sleep) await new Promise((done) => setTimeout(done, job.data.sleep));  // a long-running job
    if (job.data.fail) throw new Error(`boom ${job.id}`);
    return { ok: job.data.i };
  });
  await queue.isReady();
  say({ event: "ready" });
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    await queue.close();
    say({ event: "closed" });
    process.exit(0);
  };
  process.stdin.on("end", stop);
  process.stdin.resume();
  process.on("SIGTERM", stop);
}

async function pause(opts) {
  // The app's own global pause: Bull renames `wait` to `paused` and sets `meta-paused`.
  const queue = open(opts);
  await queue.pause();
  say({ event: "paused", isPaused: await queue.isPaused(), counts: await queue.getJobCounts() });
  await queue.close();
}

async function resume(opts) {
  const queue = open(opts);
  await queue.resume();
  say({ event: "resumed", isPaused: await queue.isPaused(), counts: await queue.getJobCounts() });
  await queue.close();
}

async function isPaused(opts) {
  const queue = open(opts);
  say({ event: "is-paused", isPaused: await queue.isPaused(), counts: await queue.getJobCounts() });
  await queue.close();
}

async function version() {
  say({ event: "version", version: require("bull/package.json").version });
}

const commands = { add, work, pause, resume, "is-paused": isPaused, version };

async function main() {
  const [command, raw] = process.argv.slice(2);
  const opts = JSON.parse(raw || "{}");
  if (!commands[command]) throw new Error(`unknown command ${command}`);
  await commands[command](opts);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
