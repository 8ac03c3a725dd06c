// The workflow's stages: each one ends by handing the workflow to the next queue.
const { prismaOperation } = require('../lib/db');
const { addJob } = require('../lib/queueManager');
const { searchImages } = require('./imageSearchService');
const { getApprovedImagesForItem } = require('./refinementPipelineService');

async function loadDrafts(workflowId) {
  return prismaOperation((client) =>
    client.productDraft.findMany({ where: { workflowId }, orderBy: { sku: 'asc' } }));
}

async function processProductDrafts(workflowId) {
  const drafts = await loadDrafts(workflowId);
  await addJob('image-attachment', 'attach-images', { workflowId, count: drafts.length });
}

async function processImageAttachment(workflowId) {
  let draftsToProcess = await loadDrafts(workflowId);
  const found = {};
  for (const draft of draftsToProcess) {
    found[draft.id] = await searchImages(`${draft.sku} ${draft.title}`);
  }
  if (draftsToProcess.length === 0) {
    draftsToProcess = await loadDrafts(workflowId);
  }
  for (const draft of draftsToProcess) {
    const approved = await getApprovedImagesForItem(draft.id);
    draft.images = approved;
  }
  await addJob('ai-enrichment', 'refine-images', { workflowId });
  await addJob('shopify-sync', 'sync', { workflowId });
  return draftsToProcess.length;
}

module.exports = { processProductDrafts, processImageAttachment };
