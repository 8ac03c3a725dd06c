// Google Custom Search for product images.
const SEARCH_URL = 'https://www.googleapis.com/customsearch/v1';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function searchImages(query: string): Promise<string[]> {
  const params = new URLSearchParams({ q: query, searchType: 'image', key: process.env.GOOGLE_API_KEY ?? '' });
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(`${SEARCH_URL}?${params}`);
      if (!response.ok) {
        throw new Error(`Google Search API error: ${response.status} ${response.statusText}`);
      }
      const body = await response.json();
      return (body.items ?? []).map((item: { link: string }) => item.link);
    } catch (error) {
      await sleep(100 * attempt);
    }
  }
  return [];
}
