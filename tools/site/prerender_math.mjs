// Render TeX to MathJax 4 CHTML at build time (tools/site/gd_perf.py calls this once for the whole site).
//
// Usage: node prerender_math.mjs <node_modules dir> < request.json > reply.json
// request: {"fontURL": "<url of the woff2 folder, relative to the stylesheet>",
//           "narrowWidth": <px>, "items": [{"tex": "...", "display": true|false}, ...]}
// reply:   {"html": ["<mjx-container ...>", ...] (one per item, same order), "css": "...",
//           "errors": [{"index": i, "message": "..."}]}
//
// One MathJax document for all items, so the stylesheet (MathJax's CHTML rules and one @font-face per
// font part used) is written once for the whole site. Each container carries MathJax's assistive MathML
// (<mjx-assistive-mml>, visually hidden, read by screen readers; the visual part is aria-hidden), as the
// browser's MathJax gave with the site's configuration. A TeX error is reported, not rendered.
//
// In the browser, MathJax 4 broke a display equation wider than its column into lines. Here there is no
// column to measure: a display equation is rendered unbroken and, when it is wider than narrowWidth
// pixels (a phone's column), also broken into lines at that width by MathJax; the two copies are
// classed gd-math-wide and gd-math-narrow, and gd-perf.css shows one of them by the screen's width
// (the other is display:none, so screen readers meet the equation once).
//
// Each display container carries its height and depth as MathJax measures them (style
// --gd-math-height, in em): gd-perf.css reserves that much for an equation the browser has not laid
// out yet (content-visibility: auto skips the style and layout of display math away from the viewport).

import {readFileSync} from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const modules = process.argv[2];
if (!modules) {
  process.stderr.write('usage: node prerender_math.mjs <node_modules dir> < request.json\n');
  process.exit(2);
}
const request = JSON.parse(readFileSync(0, 'utf-8'));
const entry = path.join(modules, '@mathjax', 'src', 'bundle', 'node-main.mjs');
const {default: MathJax} = await import(pathToFileURL(entry).href);

await MathJax.init({
  loader: {load: ['input/tex', 'output/chtml', 'a11y/assistive-mml']},
  tex: {formatError: (jax, err) => { throw err; }},
  chtml: {fontURL: request.fontURL, displayOverflow: 'linebreak'},
  options: {enableAssistiveMml: true},
});
const adaptor = MathJax.startup.adaptor;

const EM = 16;  // the site's body text, in px
const narrow = request.narrowWidth || 320;

async function render(tex, display, width) {
  const node = await MathJax.tex2chtmlPromise(tex, {display, containerWidth: width, em: EM, ex: EM / 2});
  // data-latex repeats the TeX on every node (a third of the markup): not needed on a static page
  return adaptor.outerHTML(node).replace(/ data-latex="[^"]*"/g, '');
}

// height + depth (em) of a display equation laid out at this width, as MathJax measures it: the page
// reserves it for an equation the browser has not laid out yet (content-visibility in gd-perf.css)
const doc = MathJax.startup.document;
function height(tex, width) {
  const math = new doc.options.MathItem(tex, doc.inputJax[0], true);
  math.setMetrics(EM, EM / 2, width, 1e6, 1);
  math.convert(doc);
  const bbox = doc.outputJax.getBBox(math, doc);
  return Math.round((bbox.h + bbox.d) * 100) / 100;
}

// the outer container (its tag comes first) carries its height as --gd-math-height
function withHeight(out, em) {
  return out.replace(/^<mjx-container([^>]*?) style="([^"]*)"/, `<mjx-container$1 style="$2 --gd-math-height: ${em}em;"`);
}

const html = [];
const errors = [];
for (const [index, item] of request.items.entries()) {
  try {
    const display = Boolean(item.display);
    let out = await render(item.tex, display, 1e6);
    if (display) {
      out = withHeight(out, height(item.tex, 1e6));
      const broken = await render(item.tex, display, narrow);
      if (broken.includes('<mjx-linebox')) {
        out = out.replace('class="MathJax"', 'class="MathJax gd-math-wide"')
          + withHeight(broken, height(item.tex, narrow)).replace('class="MathJax"', 'class="MathJax gd-math-narrow"');
      }
    }
    html.push(out);
  } catch (err) {
    html.push(null);
    errors.push({index, message: String(err && err.message || err)});
  }
}
const css = adaptor.textContent(MathJax.chtmlStylesheet());
process.stdout.write(JSON.stringify({html, css, errors}));
