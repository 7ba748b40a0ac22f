// The app icon (icons/mailgrant.svg) as inline SVG markup: drawn with the page, where an <img> would be decoded
// after it (a first frame without the logo). Shared by Logo.svelte and the static first screen that vite.config.ts
// writes into index.html, so both draw the same icon.

/** `svg`: the icon file's text. Decorative (the product name is always written beside it). */
export function logoMarkup(svg: string, size: number): string {
  return svg
    .replace(/<title>[^<]*<\/title>\s*/, "")
    .replace(/<!--[\s\S]*?-->\s*/g, "")
    .replace(/\bid="(\w+)"/g, 'id="mg-logo-$1"')
    .replace(/url\(#(\w+)\)/g, "url(#mg-logo-$1)")
    .replace("<svg ", `<svg width="${size}" height="${size}" aria-hidden="true" focusable="false" `)
    .replace(/>\s+</g, "><")
    .trim();
}
