// Drafts that save themselves on the server while a member types, so a timeout or
// a crash loses nothing. Forms marked data-draft-key="new" or "reply-<id>" take part.
// Nothing is ever kept in the browser (no localStorage, sessionStorage or IndexedDB):
// drafts hold post content, and a shared computer must not keep it (PL-23).
// Without scripting the forms post as usual; drafts are simply not saved.
(function () {
  "use strict";

  var DELAY_MS = 1500;
  var FIELDS = ["title", "body", "hashtags", "content_warning", "submission_token"];

  function twoDigits(number) { return (number < 10 ? "0" : "") + number; }

  function setStatus(form, text) {
    var status = form.querySelector("[data-draft-status]");
    if (status) { status.textContent = text; }
  }

  function payload(form) {
    var data = new URLSearchParams();
    var token = form.querySelector("input[name='csrfmiddlewaretoken']");
    if (token) { data.append("csrfmiddlewaretoken", token.value); }
    FIELDS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && typeof field.value === "string") { data.append(name, field.value); }
    });
    return data;
  }

  function save(form) {
    if (form.dataset.submitting === "1") { return; }
    var key = form.getAttribute("data-draft-key");
    var url = "/drafts/" + encodeURIComponent(key) + "/";
    var sent = payload(form);
    fetch(url, {
      method: "POST",
      body: sent,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, data: data };
      });
    }).then(function (result) {
      if (form.dataset.submitting === "1") { return; }
      if (result.ok && result.data.saved_at) {
        var at = new Date(result.data.saved_at);
        setStatus(form, "Draft saved at " + twoDigits(at.getHours()) + ":" + twoDigits(at.getMinutes()));
      } else if (result.data && result.data.error) {
        setStatus(form, "Draft not saved: " + result.data.error);
      } else {
        setStatus(form, "Draft not saved. What you typed is still here.");
      }
    }).catch(function () {
      setStatus(form, "Draft not saved (no connection). What you typed is still here.");
    });
  }

  function watch(form) {
    var timer = null;
    form.addEventListener("input", function (event) {
      if (!event.target || FIELDS.indexOf(event.target.name) === -1) { return; }
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { timer = null; save(form); }, DELAY_MS);
    });
    // Posting discards the draft on the server; a save still waiting must not revive it.
    form.addEventListener("submit", function () {
      if (timer) { clearTimeout(timer); timer = null; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-draft-key]");
    Array.prototype.forEach.call(forms, watch);
  });
})();
