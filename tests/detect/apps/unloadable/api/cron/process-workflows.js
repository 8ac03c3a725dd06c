// Vercel cron: one run at a time (a Redis lock), a batch of pending workflow executions per run.
const Redis = require('ioredis');
const { prismaOperation } = require('../lib/db');
const { addJob } = require('../lib/queueManager');

const redis = new Redis(process.env.REDIS_URL);
const LOCK_KEY = 'cron:process-workflows:lock';
const BATCH_SIZE = 10;

module.exports = async function handler(req, res) {
  const locked = await redis.set(LOCK_KEY, String(Date.now()), 'EX', 300, 'NX');
  if (!locked) {
    res.status(200).json({ skipped: 'a previous run is still going' });
    return;
  }
  try {
    const pending = await prismaOperation((client) =>
      client.workflowExecution.findMany({ where: { status: 'pending' }, take: BATCH_SIZE }));
    for (const execution of pending) {
      await addJob('ai-parsing', 'parse', { workflowId: execution.id });
    }
    res.status(200).json({ enqueued: pending.length });
  } finally {
    await redis.del(LOCK_KEY);
  }
};
