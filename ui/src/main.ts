// The entry: nothing here holds up the first paint. index.html draws the first screen itself (when Rust said which
// it is); the app's code and styles (app.ts and its chunk) load once that frame is out, and take over. A page that
// draws no frames (a window started hidden) loads them after half a second.
let started = false;
function start(): void {
  if (started) return;
  started = true;
  void import("./app");
}
requestAnimationFrame(() => requestAnimationFrame(start));
setTimeout(start, 500);
