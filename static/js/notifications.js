// The notification bell: its count follows ws://<host>/ws/notifications/ without a reload.
// A frame is only a nudge; the exact count (filtered by what the member may still read)
// comes from /notifications/unread/. Without scripting the count is right on every page load.
(function () {
  "use strict";
  var bell = document.querySelector("[data-notification-bell]");
  if (!bell || !("WebSocket" in window)) { return; }
  var number = bell.querySelector("[data-bell-number]");
  var badge = bell.querySelector("[data-bell-count]");
  var attempts = 0;
  var closedForGood = false;
  var connected = false;

  function show(count) {
    var value = Math.max(0, parseInt(count, 10) || 0);
    number.textContent = String(value);
    badge.classList.toggle("is-zero", value === 0);
    document.dispatchEvent(new CustomEvent("notifications:unread", { detail: { unread: value } }));
  }

  // On failure the bell keeps its count until the next nudge or page load.
  function refresh() {
    fetch(bell.getAttribute("data-unread-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(function (data) { show(data.unread); })
      .catch(function () {});
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + bell.getAttribute("data-socket-path"));
    // The page arrived with the right count; after a reconnect, catch up on what was missed.
    var reconnecting = attempts > 0 || connected;
    socket.addEventListener("open", function () {
      if (reconnecting) { refresh(); }
      attempts = 0;
      connected = true;
    });
    socket.addEventListener("message", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (error) { return; }
      if (data && data.type === "notification") { refresh(); }
      if (data && data.type === "conversation") {
        document.dispatchEvent(new CustomEvent("conversations:message", { detail: { url: data.url } }));
      }
    });
    socket.addEventListener("close", function (event) {
      // 4401: signed out; 4403: access changed. Both mean "reload to continue", not "retry".
      if (event.code === 4401 || event.code === 4403) { closedForGood = true; return; }
      if (!closedForGood) {
        window.setTimeout(connect, window.spoonfulReconnectDelay(attempts));
        attempts += 1;
      }
    });
  }

  document.addEventListener("notifications:refresh", refresh);
  connect();
})();

// On the notifications page, offer the new ones as they arrive (no jump under the reader).
(function () {
  "use strict";
  var notice = document.querySelector("[data-new-notifications]");
  if (!notice) { return; }
  var seen = parseInt(notice.getAttribute("data-unread"), 10) || 0;
  document.addEventListener("notifications:unread", function (event) {
    if (event.detail.unread > seen) { notice.hidden = false; }
  });
})();
