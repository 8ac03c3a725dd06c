// The shared queue config: every queue the workers consume (and what the queue tool pauses).
const QUEUE_NAMES = [
  'ai-parsing',
  'database-save',
  'product-draft-creation',
  'image-attachment',
  'shopify-sync',
  'status-update',
  'data-normalization',
  'merchant-config',
  'ai-enrichment',
  'shopify-payload',
];

const DEFAULT_JOB_OPTIONS = { attempts: 3, removeOnComplete: 100 };

module.exports = { QUEUE_NAMES, DEFAULT_JOB_OPTIONS };
