// Bull 4 queues by name, created once from the shared config; an unknown name is a bug, not a new queue.
const Bull = require('bull');
const { QUEUE_NAMES, DEFAULT_JOB_OPTIONS } = require('./queueConfig');

const queues = new Map();
for (const name of QUEUE_NAMES) {
  queues.set(name, new Bull(name, process.env.REDIS_URL));
}

function getQueue(name, jobType) {
  const queue = queues.get(name);
  if (!queue) {
    throw new Error(`Queue ${name} is not in the shared config (jobType: ${jobType}); known: ${QUEUE_NAMES.join(', ')}`);
  }
  return queue;
}

async function addJob(name, jobType, data) {
  return getQueue(name, jobType).add(jobType, data, DEFAULT_JOB_OPTIONS);
}

module.exports = { getQueue, addJob };
