// Comfort on discussion pages. Everything works without it: "Reply" links reload the
// page with ?reply_to=N, forms post normally, and "Show more replies" is a plain link.
(function () {
  "use strict";

  function setReplyTarget(number) {
    var form = document.querySelector(".reply-form");
    if (!form) { return false; }
    var parent = form.querySelector("input[name='parent']");
    var note = document.getElementById("replying-to-note");
    var link = document.getElementById("replying-to-link");
    if (!parent || !note || !link) { return false; }
    parent.value = number || "";
    if (number) {
      link.textContent = "#" + number;
      link.setAttribute("href", "#reply-" + number);
      note.hidden = false;
    } else {
      note.hidden = true;
    }
    var body = form.querySelector("textarea[name='body']");
    if (body) { body.focus(); }
    return true;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-reply-to]") : null;
    if (target && setReplyTarget(target.getAttribute("data-reply-to"))) {
      event.preventDefault();
      return;
    }
    if (event.target.id === "replying-to-cancel" && setReplyTarget("")) {
      event.preventDefault();
    }
  });

  // One click, one post: the server also refuses duplicates by the form's token.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !(form.classList.contains("reply-form") || form.classList.contains("post-form"))) { return; }
    if (form.dataset.submitting === "1") { event.preventDefault(); return; }
    form.dataset.submitting = "1";
    var button = form.querySelector("button[type='submit']");
    if (button) { button.setAttribute("aria-disabled", "true"); }
  });

  // Hashtag suggestions from /c/autocomplete/?q= for the last word typed.
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector("input[name='hashtags'][data-autocomplete-url]");
    var box = document.getElementById("hashtag-suggestions");
    if (!input || !box || !window.fetch) { return; }
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var words = input.value.split(/[\s,]+/);
        var last = (words[words.length - 1] || "").replace(/^#/, "");
        box.textContent = "";
        if (last.length < 2) { return; }
        fetch(input.dataset.autocompleteUrl + "?q=" + encodeURIComponent(last), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            box.textContent = "";
            var results = (data && data.results) || [];
            if (!results.length) { return; }
            var list = document.createElement("ul");
            list.setAttribute("aria-label", "Suggested hashtags");
            results.slice(0, 8).forEach(function (item) {
              var li = document.createElement("li");
              var button = document.createElement("button");
              button.type = "button";
              button.className = "secondary";
              var canonical = item.alias_of || item.hashtag;
              button.textContent = "#" + item.hashtag + (item.alias_of ? " (#" + item.alias_of + ")" : "");
              button.addEventListener("click", function () {
                words[words.length - 1] = "#" + canonical;
                input.value = words.join(" ") + " ";
                box.textContent = "";
                input.focus();
              });
              li.appendChild(button);
              list.appendChild(li);
            });
            box.appendChild(list);
          })
          .catch(function () { box.textContent = ""; });
      }, 200);
    });
  });
})();
