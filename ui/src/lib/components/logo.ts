// The app icon (icons/mailgrant.svg) as inline SVG markup: drawn with the page, where an <img> would be decoded
// after it (a first frame without the logo). Shared by Logo.svelte and the static first screen that vite.config.ts
// writes into index.html, so both draw the same icon.

/**
 * `svg`: the icon file's text. Decorative (the product name is always written beside it). Its gradients' ids name the
 * size: a browser draws no gradient whose first element of that id is in a hidden part of the page (index.html holds
 * the dashboard's 28 px logo, hidden, before the welcome screen's 88 px one).
 */
export function logoMarkup(svg: string, size: number): string {
  return svg
    .replace(/<title>[^<]*<\/title>\s*/, "")
    .replace(/<!--[\s\S]*?-->\s*/g, "")
    .replace(/\bid="(\w+)"/g, `id="mg-logo${size}-$1"`)
    .replace(/url\(#(\w+)\)/g, `url(#mg-logo${size}-$1)`)
    .replace("<svg ", `<svg width="${size}" height="${size}" aria-hidden="true" focusable="false" `)
    .replace(/>\s+</g, "><")
    .trim();
}
