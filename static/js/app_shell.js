// The installable app: registers the service worker (/sw.js) and tells it when the member
// signs out. Pages work the same without it.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) { return; }

  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
    // No worker (private window, blocked storage): the site simply has no offline copies.
  });

  // Kept pages go at sign-out. The sign-out response also sends Clear-Site-Data, and the
  // worker drops them when the next page is answered for someone else; this covers browsers
  // without Clear-Site-Data before the next page loads.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var signOut = form.hasAttribute("data-sign-out") ||
      new URL(form.action, location.href).pathname === "/accounts/logout/";
    var worker = navigator.serviceWorker.controller;
    if (signOut && worker) {
      worker.postMessage({ type: "signed-out" });
    }
  });

  // Without a connection a page (perhaps a kept copy) says so, so nobody types a reply that
  // cannot be sent yet.
  function showOfflineNotice() {
    var main = document.getElementById("main");
    if (!main || document.getElementById("offline-notice")) { return; }
    var notice = document.createElement("div");
    notice.id = "offline-notice";
    notice.className = "messages";
    notice.setAttribute("role", "status");
    var list = document.createElement("ul");
    var item = document.createElement("li");
    item.className = "message message-warning";
    item.textContent = "You\u2019re offline. This page may be a copy kept on this device; replying and " +
      "reacting work again once you\u2019re back online.";
    list.appendChild(item);
    notice.appendChild(list);
    main.insertBefore(notice, main.firstChild);
  }
  function hideOfflineNotice() {
    var notice = document.getElementById("offline-notice");
    if (notice) { notice.remove(); }
  }
  if (!navigator.onLine) { showOfflineNotice(); }
  window.addEventListener("offline", showOfflineNotice);
  window.addEventListener("online", hideOfflineNotice);
})();
