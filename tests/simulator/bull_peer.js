// A plain Node Bull 4 peer for the Bull host tests: producer, worker, pause/resume, job inspection.
// Usage: node bull_peer.js <add|work|pause|resume|job> '<json options>' (NODE_PATH reaches the cached bull).
// Prints one JSON object per line on stdout.
"use strict";

const Queue = require("bull");

const say = (object) => process.stdout.write(JSON.stringify(object) + "\n");
const [command, raw] = process.argv.slice(2);
const opts = JSON.parse(raw || "{}");
const open = () => new Queue(opts.queue, opts.redis, { prefix: opts.prefix });

async function add() {
  const queue = open();
  const jobs = await queue.addBulk(opts.jobs.map((job) => ({ name: job.name, data: job.data || {}, opts: job.opts || {} })));
  say({ ids: jobs.map((job) => String(job.id)) });
  await queue.close();
}

async function work() {
  // Processes jobs until stdin closes; data.fail makes a job throw.
  const queue = open();
  queue.on("completed", (job, result) => say({ event: "completed", id: String(job.id), name: job.name, result }));
  queue.on("failed", (job, err) => say({ event: "failed", id: String(job.id), reason: err.message }));
  await queue.isReady();
  queue.process("*", opts.concurrency || 1, async (job) => {
    if (job.data.fail) throw new Error(`peer failed ${job.id}`);
    return { by: "node", data: job.data };
  });
  say({ event: "ready" });
  process.stdin.resume();
  process.stdin.on("end", async () => {
    await queue.close();
    process.exit(0);
  });
}

async function pauseOrResume() {
  // Bull's own global pause/resume, from a process of its own.
  const queue = open();
  if (command === "pause") await queue.pause();
  else await queue.resume();
  say({ [command]: true, paused: await queue.isPaused() });
  await queue.close();
}

async function job() {
  const queue = open();
  const found = await queue.getJob(opts.id);
  say(found ? {
    id: String(found.id), state: await found.getState(), attemptsMade: found.attemptsMade,
    failedReason: found.failedReason, stacktrace: found.stacktrace, returnvalue: found.returnvalue,
  } : { id: opts.id, state: null });
  await queue.close();
}

const commands = { add, work, pause: pauseOrResume, resume: pauseOrResume, job };
commands[command]().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
