// Google Custom Search for product images: exponential backoff with jitter, Retry-After, a retry limit.
const SEARCH_URL = 'https://www.googleapis.com/customsearch/v1';
const MAX_ATTEMPTS = 6;
const BASE_DELAY_MS = 2000;
const MAX_DELAY_MS = 60000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function searchImages(query: string): Promise<string[]> {
  const params = new URLSearchParams({ q: query, searchType: 'image', key: process.env.GOOGLE_API_KEY ?? '' });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const response = await fetch(`${SEARCH_URL}?${params}`);
    if (response.status === 429) {
      const retryAfter = Number(response.headers.get('retry-after')) * 1000;
      const backoff = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
      await sleep(retryAfter > 0 ? retryAfter : backoff);
      continue;
    }
    if (!response.ok) {
      throw new Error(`Google Search API error: ${response.status} ${response.statusText}`);
    }
    const body = await response.json();
    return (body.items ?? []).map((item: { link: string }) => item.link);
  }
  throw new Error(`Google Search API: still 429 after ${MAX_ATTEMPTS} attempts`);
}
