// An open conversation shows new messages as they arrive. The notification socket only says
// "something new in /messages/<id>/"; the messages themselves come from the page's own URL,
// which checks the reader's seat like the page does. Without scripting, reloading shows them.
(function () {
  "use strict";
  var thread = document.querySelector("[data-message-thread]");
  if (!thread) { return; }
  var status = document.querySelector("[data-thread-status]");
  var busy = false;
  var again = false;

  function lastId() {
    var items = thread.querySelectorAll("li[id^='message-']");
    if (!items.length) { return 0; }
    return parseInt(items[items.length - 1].id.slice("message-".length), 10) || 0;
  }

  function fetchNew() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(thread.getAttribute("data-after-url") + "?after=" + lastId(), { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.text(); })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var added = 0;
        Array.prototype.slice.call(holder.content.children).forEach(function (item) {
          if (!document.getElementById(item.id)) { thread.appendChild(item); added += 1; }
        });
        if (added && status) { status.textContent = added === 1 ? "1 new message" : added + " new messages"; }
        // Fetching them marked them read: the bell follows.
        document.dispatchEvent(new CustomEvent("notifications:refresh"));
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; fetchNew(); }
      });
  }

  document.addEventListener("conversations:message", function (event) {
    if (event.detail && event.detail.url === thread.getAttribute("data-url")) { fetchNew(); }
  });
})();
