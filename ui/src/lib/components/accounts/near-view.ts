// Tells once when an element comes within a window's height of the view (one observer for all of them).

let observer: IntersectionObserver | null = null;
const waiting = new Map<Element, () => void>();

/** A Svelte action: calls `onnear` the first time `node` comes near the view, then stops watching it. */
export function nearView(node: Element, onnear: () => void): { destroy: () => void } {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const near = waiting.get(entry.target);
        if (!entry.isIntersecting || !near) continue;
        waiting.delete(entry.target);
        observer?.unobserve(entry.target);
        near();
      }
    },
    { rootMargin: "100% 0px" },
  );
  waiting.set(node, onnear);
  observer.observe(node);
  return {
    destroy() {
      waiting.delete(node);
      observer?.unobserve(node);
    },
  };
}
