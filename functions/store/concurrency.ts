/**
 * Runs fn over items with at most `limit` calls in flight, results in input order.
 * Used wherever one step fans out into many store requests (a seal marking thousands
 * of batches), so a burst queues here instead of exhausting the HTTP client's sockets.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
