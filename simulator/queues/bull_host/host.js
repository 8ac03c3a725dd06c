// Hosts real Bull 4 queues and workers for one deployment of the simulated app; each job goes to Python.
// Usage: node host.js with NODE_PATH reaching the cached npm `bull` (simulator/node/runtime.py); the config is the
// first line on stdin, so a host can be started ahead with bull loaded and be given its queues later (spares.py).
// Config: {redis, prefix, queues: {name: concurrency (0 = producer only)}, settings: Bull's queue settings,
//          events: bool (default true: job events are also written to stdout for Python),
//          journal: null | {global: bool}}: with a journal, job events also go to the stream
//          `<prefix>:<queue>:journal` (the job ledger's source; Bull 4 keeps no event stream of its own): this
//          host's events always, the global ones (waiting, duplicated, paused, resumed) only when `global`.
// Protocol (JSON lines; the shapes are listed in client.py):
//   stdin  <- {op: add|addBulk|pause|resume|counts|ping|close, id, ...}   commands from Python
//             {op: "result", request, ok, value | error: {name, message, stack}}   Python's answer to a job
//   stdout -> {type: "ready"} once, {type: "reply", id, ok, ...}, {type: "job", request, ...}, {type: "event", ...}
"use strict";

let Queue, bullVersion;
try {
  Queue = require("bull");
  bullVersion = require("bull/package.json").version;
} catch (err) {
  console.error(`bull host: cannot load the npm package bull (NODE_PATH=${process.env.NODE_PATH}): ${err.message.split("\n")[0]}`);
  process.exit(2);
}

// stdout belongs to the protocol: whatever a library logs goes to stderr.
const writeOut = process.stdout.write.bind(process.stdout);
console.log = console.info = console.debug = (...args) => console.error(...args);
const send = (message) => writeOut(JSON.stringify(message) + "\n");

let config = null; // set once, from the first stdin line
const queues = new Map(); // name -> Bull Queue
const pendingJobs = new Map(); // request -> {resolve, reject} of the processor's promise
let nextRequest = 1;
let closing = null;

// The journal: one ioredis connection; writes are pipelined in order and flushed before exit.
const GLOBAL_EVENTS = new Set(["waiting", "duplicated", "paused", "resumed"]);
const JOURNAL_FIELDS = ["jobId", "name", "attemptsMade", "willRetry", "stalledOut", "delay"];
let journalClient = null;

function openJournal() {
  if (!config.journal) return;
  const Redis = require("ioredis");
  journalClient = new Redis(config.redis, { maxRetriesPerRequest: null, enableReadyCheck: false });
  journalClient.on("error", (err) => console.error(`bull host: journal connection: ${err.message}`));
}
const journalWrites = new Set();

function journal(message) {
  if (!journalClient || message.event === "error") return Promise.resolve();
  if (GLOBAL_EVENTS.has(message.event) && !config.journal.global) return Promise.resolve();
  const fields = ["event", message.event, "at", String(message.at), "pid", String(process.pid)];
  for (const key of JOURNAL_FIELDS) if (message[key] !== undefined && message[key] !== null) fields.push(key, String(message[key]));
  const write = journalClient.xadd(`${config.prefix}:${message.queue}:journal`, "*", ...fields).catch((err) => {
    console.error(`bull host: journal write failed (${message.event} ${message.jobId}): ${err.message}`);
  });
  journalWrites.add(write);
  write.finally(() => journalWrites.delete(write));
  return write;
}

const JOB_OPTS = ["attempts", "backoff", "delay", "jobId", "priority", "timeout", "lifo", "removeOnComplete",
  "removeOnFail"];

function jobOpts(opts) {
  const picked = {};
  for (const key of JOB_OPTS) if (opts && opts[key] !== undefined && opts[key] !== null) picked[key] = opts[key];
  return picked;
}

function event(name, queueName, fields) {
  // Returns the journal write, so that an add is acknowledged only once its "added" is journaled.
  const message = { type: "event", event: name, queue: queueName, at: Date.now(), ...fields };
  if (config.events !== false || name === "error") send(message);
  return journal(message);
}

// Bull's global events are heard only where they go somewhere: to Python, or to the journal with `global`. A host
// that forwards no events and journals no globals (a deployment's workers) does not subscribe to them.
const hearsGlobalEvents = () => config.events !== false || Boolean(config.journal && config.journal.global);

function jobFields(job) {
  return { jobId: String(job.id), name: job.name, attemptsMade: job.attemptsMade, attempts: job.opts.attempts };
}

function processor(queueName) {
  // Bull awaits this promise; Python settles it with {op: "result"}. Bull renews the job's lock meanwhile.
  return (job) => new Promise((resolve, reject) => {
    const request = nextRequest++;
    pendingJobs.set(request, { resolve, reject });
    send({
      type: "job", request, queue: queueName, jobId: String(job.id), name: job.name, data: job.data,
      attemptsMade: job.attemptsMade, attempts: job.opts.attempts, timestamp: job.timestamp,
    });
  });
}

function watch(queue, queueName, processing) {
  queue.on("error", (err) => event("error", queueName, { message: String((err && err.message) || err) }));
  if (hearsGlobalEvents()) watchGlobal(queue, queueName);
  if (!processing) return;
  // Local events: jobs this host's workers took.
  queue.on("active", (job) => event("active", queueName, jobFields(job)));
  queue.on("completed", (job) => event("completed", queueName, jobFields(job)));
  queue.on("failed", (job, err) => {
    if (!job) return;
    const stalledOut = err && err.message === "job stalled more than allowable limit";
    // Bull has counted the attempt already; it retries while attemptsMade < attempts.
    const willRetry = !stalledOut && job.attemptsMade < job.opts.attempts && !job._discarded;
    event("failed", queueName, { ...jobFields(job), failedReason: err ? err.message : null, willRetry, stalledOut });
  });
  queue.on("stalled", (job) => event("stalled", queueName, jobFields(job)));
}

const GLOBAL_EVENT_NAMES = ["waiting", "duplicated", "paused", "resumed"];

function watchGlobal(queue, queueName) {
  queue.on("global:waiting", (jobId) => event("waiting", queueName, { jobId: String(jobId) }));
  // An add whose jobId already exists adds nothing: Bull returns the existing job and publishes this.
  queue.on("global:duplicated", (jobId) => event("duplicated", queueName, { jobId: String(jobId) }));
  queue.on("global:paused", () => event("paused", queueName, {}));
  queue.on("global:resumed", () => event("resumed", queueName, {}));
}

async function workerListed(queue) {
  // Bull names its blocking connection (CLIENT SETNAME) after process() returns: "ready" waits for it, so that
  // getWorkers() (the app's "every queue has a worker" check) sees this host's workers from the start.
  for (let waited = 0; waited < 10000; waited += 10) {
    if ((await queue.getWorkers()).length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  console.error(`bull host: queue ${queue.name}: no worker listed by getWorkers() after 10 s`);
}

async function openQueue(queueName, concurrency) {
  if (queues.has(queueName)) return queues.get(queueName);
  const queue = new Queue(queueName, config.redis, { prefix: config.prefix, settings: config.settings || {} });
  queues.set(queueName, queue);
  const registered = (hearsGlobalEvents() ? GLOBAL_EVENT_NAMES : []).map(
    (name) => new Promise((resolve) => queue.once(`registered:global:${name}`, resolve)),
  );
  watch(queue, queueName, concurrency > 0);
  await queue.isReady();
  await Promise.all(registered);
  // process() resolves only when the queue closes: it is not awaited. "*" takes jobs of every name.
  if (concurrency > 0) {
    queue.process("*", concurrency, processor(queueName)).catch((err) => {
      event("error", queueName, { message: `processor stopped: ${err.message}` });
    });
    await workerListed(queue);
  }
  return queue;
}

function settle(message) {
  const pending = pendingJobs.get(message.request);
  if (!pending) return;
  pendingJobs.delete(message.request);
  if (message.ok) {
    pending.resolve(message.value === undefined ? null : message.value);
    return;
  }
  // Bull keeps err.message as the job's failedReason and err.stack in its stacktrace: Python's text, unchanged.
  const error = new Error(message.error.message);
  error.name = message.error.name || "Error";
  error.stack = message.error.stack || `${error.name}: ${error.message}`;
  pending.reject(error);
}

async function command(message) {
  const queue = () => openQueue(message.queue, 0);
  switch (message.op) {
    case "add": {
      const job = await (await queue()).add(message.name, message.data ?? {}, jobOpts(message.opts));
      await event("added", message.queue, { jobId: String(job.id), name: job.name, delay: job.opts.delay });
      return { jobId: String(job.id) };
    }
    case "addBulk": {
      const specs = message.jobs.map((spec) => ({ name: spec.name, data: spec.data ?? {}, opts: jobOpts(spec.opts) }));
      const jobs = await (await queue()).addBulk(specs);
      await Promise.all(jobs.map((job) => event("added", message.queue,
        { jobId: String(job.id), name: job.name, delay: job.opts.delay })));
      return { jobIds: jobs.map((job) => String(job.id)) };
    }
    case "pause": // Bull's own global pause: the wait list is renamed to paused, every worker stops taking jobs.
      await (await queue()).pause();
      return {};
    case "resume":
      await (await queue()).resume();
      return {};
    case "counts": {
      const q = await queue();
      return { counts: await q.getJobCounts(), paused: await q.isPaused() };
    }
    case "jobs": { // ids of the jobs in `states` (Bull's names: waiting, paused, active, delayed, completed, failed)
      const jobs = await (await queue()).getJobs(message.states);
      return { jobIds: jobs.filter(Boolean).map((job) => String(job.id)) };
    }
    case "state": { // Bull's state of one job ("unknown" when Bull holds no such job) and its record's outcome
      const job = await (await queue()).getJob(message.jobId);
      if (!job) return { state: "unknown" };
      return { state: await job.getState(), returnvalue: job.returnvalue ?? null, failedReason: job.failedReason ?? null,
        attemptsMade: job.attemptsMade };
    }
    case "workers": // Bull's getWorkers: connections named as this queue's workers, of any process
      return { workers: (await (await queue()).getWorkers()).length };
    case "ping":
      return {};
    case "close":
      await closeAll(true);
      return {};
    default:
      throw new Error(`unknown op ${JSON.stringify(message.op)}`);
  }
}

async function unblockWorkers() {
  // Bull's close QUITs each worker's blocking connection, which Redis answers only once the BRPOPLPUSHes queued on it
  // (one per unit of concurrency) return: Bull gives up after 500 ms and drops the connection. close() has set
  // queue.closing, or the drain its local pause (getNextJob then fetches no more), so unblocking this host's own
  // blocked connections (CLIENT UNBLOCK, found by local address) until each has closed ends that wait now.
  const blocked = [...queues.values()].filter((queue) => queue.bclientInitialized && queue.bclient.blocked
    && queue.bclient.stream && queue.bclient.stream.localPort);
  if (!blocked.length) return;
  const admin = blocked[0].client;
  const ids = new Map();
  for (const line of String(await admin.client("list")).split("\n")) {
    const id = / id=(\d+)/.exec(` ${line}`), addr = / addr=(\S+)/.exec(` ${line}`);
    if (id && addr) ids.set(addr[1], id[1]);
  }
  await Promise.all(blocked.map(async (queue) => {
    const bclient = queue.bclient;
    const id = ids.get(`${bclient.stream.localAddress}:${bclient.stream.localPort}`);
    const stream = bclient.stream; // Bull reconnects it after the pause: the new connection is not blocked
    const open = () => bclient.stream === stream && bclient.status === "ready" && admin.status === "ready"
      && !queue.closed;
    for (let tries = 0; id && tries < 100 && open(); tries += 1) {
      if (!Number(await admin.client("unblock", id))) await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }));
}

async function drainWorkers() {
  // A replaced deployment's function runs to its end, next-stage add included. Every worker of this host first stops
  // taking jobs (Bull's local pause, which waits for its queue's active jobs), and only then does any queue close:
  // closing each queue at once disconnected a queue that another queue's job still had to add to, so that job failed
  // ("Connection is closed.") after its body had run, and the next deployment ran the body again on the retry.
  const workers = [...queues.values()].filter((queue) => Object.keys(queue.handlers || {}).length > 0);
  const paused = workers.map((queue) => queue.pause(true).catch((err) => {
    console.error(`bull host: queue ${queue.name}: local pause at close: ${err.message}`);
  }));
  await new Promise((resolve) => setImmediate(resolve)); // each pause has set queue.paused: an unblocked fetch stops
  const unblocked = unblockWorkers().catch((err) => {
    if (err.message !== "Connection is closed.") console.error(`bull host: unblock at drain: ${err.message}`);
  });
  await Promise.all([...paused, unblocked]);
}

function closeAll(waitForJobs) {
  // Bull's close waits for the active jobs to finish (their answers still come from Python), then disconnects;
  // then the journal's writes are flushed (QUIT is answered after every command sent before it). With waitForJobs,
  // every queue's jobs finish before the first queue closes (drainWorkers).
  if (!closing) {
    const drained = waitForJobs ? drainWorkers() : Promise.resolve();
    closing = drained.then(() => {
      // Bull's close rejects only in its last phase, the disconnect (e.g. EPIPE on a connection Redis has just closed
      // after QUIT), when its jobs are finished: that is logged, not a failed close.
      const closed = [...queues.values()].map((queue) => queue.close(!waitForJobs).catch((err) => {
        console.error(`bull host: queue ${queue.name}: disconnect at close: ${err.message}`);
      }));
      const unblocked = unblockWorkers().catch((err) => {
        if (err.message !== "Connection is closed.") console.error(`bull host: unblock at close: ${err.message}`);
      });
      return Promise.all([...closed, unblocked]);
    }).then(async () => {
      await Promise.all([...journalWrites]);
      if (journalClient) await journalClient.quit().catch(() => journalClient.disconnect());
    });
  }
  return closing;
}

function onLine(line) {
  if (!line.trim()) return;
  let message;
  try {
    message = JSON.parse(line);
  } catch (err) {
    console.error(`bull host: not JSON: ${line.slice(0, 200)}`);
    return;
  }
  if (message.op === "result") return settle(message);
  command(message).then(
    (result) => {
      send({ type: "reply", id: message.id, ok: true, ...result });
      if (message.op === "close") process.exit(0);
    },
    (err) => send({ type: "reply", id: message.id, ok: false, error: String((err && err.message) || err) }),
  );
}

function abandon(why) {
  // Python is gone: its jobs stay active with their locks, which expire; Bull's stalled check recovers them.
  if (config === null) process.exit(0); // a spare never given its queues
  if (closing) return;
  console.error(`bull host: ${why}; closing without waiting for ${pendingJobs.size} active job(s)`);
  const force = setTimeout(() => process.exit(1), 5000);
  closeAll(false).finally(() => {
    clearTimeout(force);
    process.exit(pendingJobs.size ? 1 : 0);
  });
}

process.on("unhandledRejection", (err) => console.error("bull host: unhandled rejection", err));
process.on("SIGTERM", () => abandon("SIGTERM"));

async function start() {
  openJournal();
  await Promise.all(Object.entries(config.queues).map(([name, concurrency]) => openQueue(name, concurrency)));
  send({ type: "ready", queues: [...queues.keys()], versions: { node: process.version, bull: bullVersion } });
}

function fail(err) {
  console.error(`bull host: cannot start: ${err.stack || err}`);
  process.exit(2);
}

function main() {
  let buffer = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (config !== null) {
        onLine(line);
        continue;
      }
      try {
        config = JSON.parse(line);
      } catch (err) {
        fail(err);
      }
      start().catch(fail);
    }
  });
  process.stdin.on("end", () => abandon("stdin closed"));
}

main();
