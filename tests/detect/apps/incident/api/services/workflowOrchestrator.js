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
  const productDrafts = await loadDrafts(workflowId);
  const found = {};
  for (const draft of productDrafts) {
    found[draft.id] = await searchImages(`${draft.sku} ${draft.title}`);
  }
  const draftsFromDb = await loadDrafts(workflowId);
  if (Object.values(found).some((urls) => urls.length > 0)) {
    productDrafts = draftsFromDb;
  }
  for (const draft of productDrafts) {
    const approved = await getApprovedImagesForItem(draft.id);
    draft.images = approved;
  }
  await addJob('image-refinement', 'refine-images', { workflowId });
  await addJob('shopify-sync', 'sync', { workflowId });
  return productDrafts.length;
}

module.exports = { processProductDrafts, processImageAttachment };
