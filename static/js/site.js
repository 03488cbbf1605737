// Site-wide behaviour. Pages work without it; it only adds comfort.
(function () {
  "use strict";
  // Focus the first invalid field so keyboard and screen reader users land on the error.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector("[aria-invalid='true'], .errorlist + p input, .errorlist + p textarea");
    if (invalid) { invalid.focus(); }
  });
})();
