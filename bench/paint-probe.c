/*
 * Watches a window being painted, for bench/window-lib.sh: polls the X window whose title matches a regular
 * expression and prints when it first showed a painted frame and when it first looked as it does at the end.
 *
 *   paint-probe TITLE_REGEX START_NS HOLD_MS [SHOTS_DIR]
 *
 * START_NS: when the process was started (date +%s%N). HOLD_MS: how long to keep watching after the first paint;
 * the frame at that moment is "the end". Prints, in ms since START_NS:
 *   shown <ms>      the window is mapped (viewable), painted or not
 *   paint <ms>      the first frame with more than 64 colours (text or icons drawn with antialiasing; not a blank or
 *                   one-colour window): the detector bench/startup.sh has always used
 *   complete <ms>   the first frame from which every later frame looks like the end: at most 1% of its 8×8 blocks
 *                   differ (a countdown's digits may change), a block differing when a colour channel's mean moved
 *                   by more than 4 of 255 (a repainted tile's antialiasing moves less): the first screen as the user
 *                   ends up seeing it
 *   frames <n>      distinct frames seen
 * With SHOTS_DIR, keeps the first painted frame (paint.ppm) and the end (end.ppm). Exits 1 if nothing painted in
 * 20 s. One image grab costs a few ms, so it polls every 10 ms until the paint, every 20 ms for 3 s after it, and
 * every 200 ms after that (the last seconds are the idle time before bench/window.sh reads memory).
 *
 * Built by bench/window-lib.sh with: cc -O2 -o paint-probe paint-probe.c -lX11
 */
#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK 8
#define MAX_FRAMES 4096

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A pixel as 0xRRGGBB (the 32-bit ZPixmap of a TrueColor visual, read directly; XGetPixel otherwise). */
static inline uint32_t px(const XImage *img, int x, int y) {
  if (img->bits_per_pixel == 32)
    return ((const uint32_t *)(const void *)(img->data + (size_t)y * img->bytes_per_line))[x] & 0xffffff;
  return (uint32_t)XGetPixel((XImage *)img, x, y) & 0xffffff;
}

/* A window that goes away between finding it and reading it is not an error here. */
static int ignore_errors(Display *d, XErrorEvent *e) {
  (void)d;
  (void)e;
  return 0;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static int title_matches(Display *d, Window w, regex_t *re) {
  Atom net_wm_name = XInternAtom(d, "_NET_WM_NAME", False);
  Atom utf8 = XInternAtom(d, "UTF8_STRING", False);
  Atom type;
  int format, matched = 0;
  unsigned long n, left;
  unsigned char *value = NULL;
  if (XGetWindowProperty(d, w, net_wm_name, 0, 1024, False, utf8, &type, &format, &n, &left, &value) == Success &&
      value) {
    matched = regexec(re, (char *)value, 0, NULL, 0) == 0;
    XFree(value);
    if (matched) return 1;
  }
  char *name = NULL;
  if (XFetchName(d, w, &name) && name) {
    matched = regexec(re, name, 0, NULL, 0) == 0;
    XFree(name);
  }
  return matched;
}

/* The first viewable window under `w` (depth first) whose title matches. */
static Window find(Display *d, Window w, regex_t *re) {
  XWindowAttributes a;
  if (XGetWindowAttributes(d, w, &a) && a.map_state == IsViewable && title_matches(d, w, re)) return w;
  Window root, parent, *kids = NULL, found = 0;
  unsigned int n = 0;
  if (!XQueryTree(d, w, &root, &parent, &kids, &n)) return 0;
  for (unsigned int i = 0; i < n && !found; i++) found = find(d, kids[i], re);
  if (kids) XFree(kids);
  return found;
}

/* Distinct colours, counting up to `limit` + 1. */
static int colours(const XImage *img, int limit) {
  uint32_t table[256];
  unsigned char used[256] = {0};
  int count = 0;
  for (int y = 0; y < img->height; y++) {
    for (int x = 0; x < img->width; x++) {
      uint32_t p = px(img, x, y);
      unsigned h = (p * 2654435761u) >> 24;
      while (used[h] && table[h] != p) h = (h + 1) & 255;
      if (!used[h]) {
        used[h] = 1;
        table[h] = p;
        if (++count > limit) return count;
      }
    }
  }
  return count;
}

/* Per 8×8 block, the mean of each colour channel: rasterising the same content again (a repainted tile) moves a
 * pixel by a few levels, a changed glyph moves a block's mean by far more. */
static void signature(const XImage *img, uint8_t *sig, int bw, int bh) {
  for (int by = 0; by < bh; by++) {
    for (int bx = 0; bx < bw; bx++) {
      unsigned sum[3] = {0, 0, 0}, n = 0;
      for (int y = by * BLOCK; y < (by + 1) * BLOCK && y < img->height; y++)
        for (int x = bx * BLOCK; x < (bx + 1) * BLOCK && x < img->width; x++) {
          uint32_t p = px(img, x, y);
          sum[0] += p >> 16;
          sum[1] += (p >> 8) & 0xff;
          sum[2] += p & 0xff;
          n++;
        }
      uint8_t *s = sig + 3 * (by * bw + bx);
      for (int c = 0; c < 3; c++) s[c] = (uint8_t)(n ? sum[c] / n : 0);
    }
  }
}

/* Whether two blocks look different (a channel's mean moved by more than 4 levels). */
static int block_differs(const uint8_t *a, const uint8_t *b) {
  for (int c = 0; c < 3; c++)
    if (abs((int)a[c] - (int)b[c]) > 4) return 1;
  return 0;
}

static void save(const XImage *img, const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fprintf(f, "P6\n%d %d\n255\n", img->width, img->height);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) {
      uint32_t p = px(img, x, y);
      unsigned char rgb[3] = {(unsigned char)(p >> 16), (unsigned char)(p >> 8), (unsigned char)p};
      fwrite(rgb, 1, 3, f);
    }
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: paint-probe TITLE_REGEX START_NS HOLD_MS [SHOTS_DIR]\n");
    return 2;
  }
  regex_t re;
  if (regcomp(&re, argv[1], REG_EXTENDED | REG_NOSUB)) {
    fprintf(stderr, "paint-probe: bad regular expression %s\n", argv[1]);
    return 2;
  }
  int64_t start = atoll(argv[2]);
  int64_t hold = atoll(argv[3]) * 1000000;
  const char *shots = argc > 4 ? argv[4] : NULL;
  Display *d = XOpenDisplay(NULL);
  if (!d) {
    fprintf(stderr, "paint-probe: cannot open the display\n");
    return 2;
  }
  XSetErrorHandler(ignore_errors);

  int64_t shown = 0, painted = 0;
  static int64_t at[MAX_FRAMES];
  static uint8_t *sigs[MAX_FRAMES];
  int frames = 0, bw = 0, bh = 0;
  char *last = NULL;
  size_t last_size = 0;
  XImage *end = NULL;
  for (;;) {
    int64_t t = now_ns();
    if (!painted && t - start > 20 * (int64_t)1000000000) break;
    if (painted && t - painted >= hold) break;
    Window w = find(d, DefaultRootWindow(d), &re);
    XWindowAttributes a;
    XImage *img = NULL;
    if (w && XGetWindowAttributes(d, w, &a)) img = XGetImage(d, w, 0, 0, a.width, a.height, AllPlanes, ZPixmap);
    t = now_ns();
    if (w && !shown) shown = t;
    if (img) {
      size_t size = (size_t)img->bytes_per_line * img->height;
      int changed = !last || size != last_size || memcmp(last, img->data, size) != 0;
      if (changed && frames < MAX_FRAMES) {
        if (!painted && colours(img, 64) > 64) {
          painted = t;
          if (shots) save(img, shots, "paint.ppm");
        }
        if (painted) {
          if (!sigs[0] || img->width / BLOCK + 1 != bw || img->height / BLOCK + 1 != bh) {
            /* the first painted frame (or a resize): signatures start here */
            for (int i = 0; i < frames; i++) free(sigs[i]);
            frames = 0;
            bw = img->width / BLOCK + 1;
            bh = img->height / BLOCK + 1;
          }
          sigs[frames] = malloc((size_t)3 * bw * bh);
          signature(img, sigs[frames], bw, bh);
          at[frames++] = t;
        }
        free(last);
        last = malloc(size);
        memcpy(last, img->data, size);
        last_size = size;
      }
      if (end) XDestroyImage(end);
      end = img;
    }
    int64_t since = painted ? now_ns() - painted : 0;
    sleep_ms(!painted ? 10 : since < 3 * (int64_t)1000000000 ? 20 : 200);
  }
  if (!painted) {
    fprintf(stderr, "paint-probe: no window titled %s painted in 20 s\n", argv[1]);
    return 1;
  }
  if (shots && end) save(end, shots, "end.ppm");
  /* the earliest frame from which every later one is within 1% of the blocks of the end */
  int complete = frames - 1, blocks = bw * bh;
  for (int i = frames - 1; i >= 0; i--) {
    int differ = 0;
    for (int b = 0; b < blocks; b++) differ += block_differs(sigs[i] + 3 * b, sigs[frames - 1] + 3 * b);
    if (differ * 100 > blocks) break;
    complete = i;
  }
  printf("shown %lld\npaint %lld\ncomplete %lld\nframes %d\n", (long long)((shown - start) / 1000000),
         (long long)((painted - start) / 1000000),
         (long long)((at[complete] - start) / 1000000), frames);
  return 0;
}
