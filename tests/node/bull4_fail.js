// Fills a Bull 4 queue as the app's workers do when the raw SQL hits a missing table: every job fails with
// Prisma's P2010 message, retried once. Usage: node bull4_fail.js REDIS_URL PREFIX QUEUE COUNT
const Queue = require('bull');
const [redisUrl, prefix, name, count] = process.argv.slice(2);
const P2010 = 'Invalid `prisma.$queryRawUnsafe()` invocation:\n\nRaw query failed. Code: `42P01`. ' +
  'Message: `relation "image_review_options" does not exist`';

async function main() {
  const queue = new Queue(name, redisUrl, { prefix });
  let failed = 0;
  const done = new Promise((resolve) => {
    queue.on('failed', (job) => {
      if (job.attemptsMade >= job.opts.attempts && ++failed === Number(count)) resolve();
    });
  });
  queue.process(async () => { throw new Error(P2010); });
  for (let i = 0; i < Number(count); i++) {
    await queue.add({ po: i }, { attempts: 2, backoff: 10 });
  }
  await done;
  await queue.close();
  console.log(JSON.stringify({ failed }));
}
main().catch((error) => { console.error(error); process.exit(1); });
