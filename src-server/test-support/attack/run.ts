/** Runs `fn` over `items` with at most `concurrency` at once, in order of start. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** Counts per attack, printed at the end as one line the README can quote. */
export class Tally {
  private readonly parts = new Map<string, { cases: number; failures: string[] }>();

  add(part: string, cases: number, failures: readonly string[] = []): void {
    const p = this.parts.get(part) ?? { cases: 0, failures: [] };
    p.cases += cases;
    p.failures.push(...failures);
    this.parts.set(part, p);
  }

  line(): string {
    let cases = 0;
    let failures = 0;
    const each: string[] = [];
    for (const [name, p] of this.parts) {
      cases += p.cases;
      failures += p.failures.length;
      each.push(`${name} ${p.cases}${p.failures.length ? ` (${p.failures.length} failed)` : ''}`);
    }
    return `attack suite: ${cases} cases, ${failures} failures (${each.join('; ')})`;
  }
}
