// Site-wide behaviour. Pages work without it; it only adds comfort.
(function () {
  "use strict";
  // The header menu is a native <details>, closed in the page so phones start with a
  // one-row header. Wide screens have room for the whole list, so it opens there.
  var menu = document.querySelector("[data-nav-menu]");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 60em)");  // the breakpoint in site.css
    var fit = function () { menu.open = wide.matches; };
    fit();
    wide.addEventListener("change", fit);
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && !wide.matches) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }

  // Focus the first invalid field so keyboard and screen reader users land on the error.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector("[aria-invalid='true'], .errorlist + p input, .errorlist + p textarea");
    if (invalid) { invalid.focus(); }
  });
})();
