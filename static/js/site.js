// Site-wide behaviour. Pages work without it; it only adds comfort.
(function () {
  "use strict";
  // How long a live socket waits before trying again, for both sockets a page may hold.
  // After a server restart every open page reconnects: each waits a random moment within
  // the spread the server asks for (data-reconnect-spread-ms on <html>), then backs off
  // exponentially with full jitter, so returning pages never arrive all at once.
  window.spoonfulReconnectDelay = function (attempt) {
    var spread = parseInt(document.documentElement.getAttribute("data-reconnect-spread-ms"), 10);
    if (!(spread >= 0)) { spread = 5000; }
    var ceiling = Math.min(30000, Math.max(spread, 1000 * Math.pow(2, attempt)));
    return Math.random() * ceiling;
  };

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
