/**
 * Sets `key` as the most recent entry of `map` (insertion order is recency: the oldest entry comes first) and drops
 * the oldest entries beyond `max`: the eviction of the bounded in-memory caches.
 */
export function setRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) return;
    map.delete(oldest.value);
  }
}
