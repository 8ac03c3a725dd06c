// Bull 4 queues by name, created once from the shared config.
const Bull = require('bull');
const { QUEUE_NAMES, DEFAULT_JOB_OPTIONS } = require('./queueConfig');

const queues = new Map();
for (const name of QUEUE_NAMES) {
  queues.set(name, new Bull(name, process.env.REDIS_URL));
}

function getQueue(name, jobType) {
  let queue = queues.get(name);
  if (!queue) {
    console.warn(`Queue ${name} not found (jobType: ${jobType}), creating temporary queue`);
    queue = new Bull(name, process.env.REDIS_URL);
    queues.set(name, queue);
  }
  return queue;
}

async function addJob(name, jobType, data) {
  return getQueue(name, jobType).add(jobType, data, DEFAULT_JOB_OPTIONS);
}

module.exports = { getQueue, addJob };
