// Vercel cron: picks up pending workflow executions and enqueues their next stage.
const { prismaOperation } = require('../lib/db');
const { addJob } = require('../lib/queueManager');

module.exports = async function handler(req, res) {
  const pending = await prismaOperation((client) =>
    client.workflowExecution.findMany({ where: { status: 'pending' } }));
  for (const execution of pending) {
    await addJob('ai-parsing', 'parse', { workflowId: execution.id });
  }
  res.status(200).json({ enqueued: pending.length });
};
