/* The course site's shim for @jupyter-widgets/html-manager 1.0.6 (embed-amd.js).
 *
 * Loaded after require.js and before embed-amd.js, only on pages that render a saved
 * ipywidgets view (tools/site/gd_site.py drops all three elsewhere). Served from
 * _static/gd-vendor/gd-site/, next to the vendored copies (see tools/site/vendor.py).
 *
 * 1. The widget bundles compute their webpack public path from the require.js module
 *    URL, which defaults to the page's own folder: their icon fonts then 404 on every
 *    nested page. Map the bundle names to the served copy so the fonts load from it.
 * 2. Third-party widget modules (the course has none) are looked up at the URL in a
 *    script's data-jupyter-widgets-cdn attribute, by default a CDN. Point it at the
 *    served copy too, so nothing ever leaves the site.
 * 3. The html-manager typesets widget labels with MathJax 2's MathJax.Hub.Queue, which
 *    does not exist in MathJax 3 (a TypeError on every label). Provide MathJax.Hub.Queue
 *    on whatever object window.MathJax is, now or after MathJax 3 replaces it, and
 *    translate the "Typeset" call to MathJax 3's typesetPromise.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var vendor = script.src.replace(/gd-site\/[^\/]*$/, "");
  var manager = vendor + "html-manager/";

  if (window.requirejs) {
    window.requirejs.config({
      paths: {
        "@jupyter-widgets/html-manager/dist/libembed-amd": manager + "libembed-amd",
        "@jupyter-widgets/html-manager": manager + "html-manager",
        "@jupyter-widgets/base": manager + "base",
        "@jupyter-widgets/controls": manager + "controls"
      }
    });
  }
  script.setAttribute("data-jupyter-widgets-cdn", vendor + "npm/");

  function typeset(mathjax, element) {
    // Jupyter's MathJax takes $...$ in widget labels; the site's MathJax 3 takes \(...\) only
    if (element && element.childElementCount === 0 && element.textContent.indexOf("$") >= 0) {
      element.textContent = element.textContent
        .replace(/\$\$([^$]+)\$\$/g, "\\[$1\\]")
        .replace(/\$([^$]+)\$/g, "\\($1\\)");
    }
    if (mathjax && mathjax.typesetPromise && mathjax.startup && mathjax.startup.promise) {
      mathjax.startup.promise
        .then(function () { return mathjax.typesetPromise(element ? [element] : undefined); })
        .catch(function (err) { console.warn("MathJax typeset of a widget label failed", err); });
    }
    // MathJax not loaded yet: its first page-wide typeset will include the element.
  }

  var current = window.MathJax;
  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset") { typeset(current, job[2]); }
      }
    }
  };
  function withHub(value) {
    if (value && typeof value === "object" && !value.Hub) {
      try { value.Hub = hub; } catch (err) { /* frozen object: leave it */ }
    }
    return value;
  }
  current = withHub(current);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    enumerable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });
})();
