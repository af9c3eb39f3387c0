/* Draws each Vega-Lite chart of a page from the spec the server wrote beside it, under the
   strict CSP: no eval (Vega's expression interpreter), no injected styles, no network. */
(function () {
  "use strict";
  function draw() {
    if (!window.vegaEmbed || !window.vega || !window.vega.expressionInterpreter) { return; }
    document.querySelectorAll("[data-vega-spec]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-vega-spec"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      window.vegaEmbed(el, spec, {
        ast: true,
        expr: window.vega.expressionInterpreter,
        actions: false,
        renderer: "svg",
        defaultStyle: false,
        tooltip: false
      }).then(function () {
        var svg = el.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", el.getAttribute("data-alt") || "Chart");
        }
      }).catch(function () { el.hidden = true; });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
})();
