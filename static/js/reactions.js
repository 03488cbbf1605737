// Reactions without a reload: a reaction button's form is sent with fetch and the
// counts under the post follow the answer; counts from other members arrive over the
// discussion's socket (live.js passes them on as "spoonful:reactions"). Without this
// script the same forms post and the page reloads at the post.
(function () {
  "use strict";

  var announcer = null;

  function say(text) {
    if (!announcer) {
      announcer = document.createElement("div");
      announcer.className = "visually-hidden";
      announcer.setAttribute("role", "status");
      announcer.setAttribute("aria-live", "polite");
      document.body.appendChild(announcer);
    }
    announcer.textContent = text;
  }

  function barFor(number) {
    var key = number === null || number === undefined ? "" : String(number);
    return document.querySelector('.reactions[data-reactions="' + key + '"]');
  }

  function accessibleName(label, count, mine) {
    return label + ", " + (count === 1 ? "1 member" : count + " members") + (mine ? "; you reacted" : "");
  }

  // counts: {kind: n}; mine: the kinds that are the reader's own, or null to leave them.
  function update(number, counts, mine) {
    var bar = barFor(number);
    if (!bar) { return; }
    var total = 0;
    Object.keys(counts).forEach(function (kind) {
      var count = counts[kind] || 0;
      total += count;
      bar.querySelectorAll('.reaction-count[data-kind="' + kind + '"]').forEach(function (element) {
        element.textContent = String(count);
      });
      var button = bar.querySelector('button.reaction[data-kind="' + kind + '"]');
      if (button) {
        var pressed = mine ? mine.indexOf(kind) >= 0 : button.getAttribute("aria-pressed") === "true";
        button.setAttribute("aria-pressed", pressed ? "true" : "false");
        button.setAttribute("aria-label", accessibleName(button.getAttribute("data-label"), count, pressed));
      }
      var tally = bar.querySelector('.reaction-tally[data-kind="' + kind + '"]');
      if (tally) { tally.hidden = count === 0; }
    });
    var who = bar.querySelector(".reaction-who");
    if (who) { who.hidden = total === 0; }
  }

  function csrfToken(form) {
    var field = form.querySelector("input[name='csrfmiddlewaretoken']") ||
      document.querySelector("input[name='csrfmiddlewaretoken']");
    return field ? field.value : "";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("reaction-form")) { return; }
    event.preventDefault();
    var button = form.querySelector("button.reaction");
    var data = new FormData(form);
    if (!data.get("csrfmiddlewaretoken")) { data.append("csrfmiddlewaretoken", csrfToken(form)); }
    if (button) { button.disabled = true; }
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) }
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (!result.ok) { say(result.body.error || "That did not work; please try again."); return; }
        update(result.body.number, result.body.counts, result.body.mine);
        var label = button ? button.getAttribute("data-label") : "Reaction";
        say(result.body.reacted ? label + ": sent." : label + ": taken back.");
      })
      .catch(function () { form.submit(); })
      .finally(function () { if (button) { button.disabled = false; } });
  });

  document.addEventListener("spoonful:reactions", function (event) {
    var frame = event.detail || {};
    update(frame.number, frame.counts || {}, frame.mine || null);
  });
})();
