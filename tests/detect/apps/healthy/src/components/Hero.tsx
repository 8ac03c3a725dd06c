// The landing page's hero: plain JSX text with a bare `&`, which TypeScript, Babel and esbuild accept
// (tree-sitter's grammars do not: tree-sitter-javascript#366).
import type { ReactNode } from 'react';

type HeroProps = { title: string; children?: ReactNode } & { compact?: boolean };

export function Hero({ title, children, compact = false }: HeroProps) {
  const flags = compact ? 1 & 3 : 0;
  return (
    <section className={compact ? 'hero hero--compact' : 'hero'} data-flags={flags}>
      <h1>{title}</h1>
      <p>Purchase orders & real-time insights, parsed & synced to Shopify.</p>
      <p>Terms &amp; Conditions apply & so does R&D.</p>
      {children}
    </section>
  );
}
