// Push notifications on this device: the settings page's "Get push notifications" form.
// It asks the browser for permission, subscribes through the service worker's PushManager with
// the site's VAPID public key (data-vapid-key), and posts the subscription as JSON to the form's
// action with the page's CSRF token. The service worker (/sw.js) shows what arrives:
// {"title", "body", "url", "tag"}, never anything anyone wrote.
// Without scripting, or in a browser without push, the form stays hidden.
(function () {
  "use strict";

  var READY_TIMEOUT_MS = 10000;

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function setStatus(form, text) {
    var status = form.querySelector(".push-status");
    if (status) { status.textContent = text; }
  }

  function serviceWorkerReady() {
    return Promise.race([
      navigator.serviceWorker.ready,
      new Promise(function (resolve, reject) {
        window.setTimeout(function () { reject(new Error("not-ready")); }, READY_TIMEOUT_MS);
      }),
    ]);
  }

  function subscribe(registration, key) {
    var options = { userVisibleOnly: true, applicationServerKey: key };
    return registration.pushManager.subscribe(options).catch(function (error) {
      // A subscription made with an older key: drop it and subscribe again with this one.
      if (error && error.name === "InvalidStateError") {
        return registration.pushManager.getSubscription().then(function (old) {
          return (old ? old.unsubscribe() : Promise.resolve()).then(function () {
            return registration.pushManager.subscribe(options);
          });
        });
      }
      throw error;
    });
  }

  function send(form, subscription) {
    var token = form.querySelector("input[name='csrfmiddlewaretoken']");
    return fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
      body: JSON.stringify(subscription.toJSON()),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || "The site could not save this device."); }
        return data;
      });
    });
  }

  function start(form) {
    var button = form.querySelector("button[type='submit']");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      setStatus(form, "Asking your browser\u2026");
      Notification.requestPermission()
        .then(function (permission) {
          if (permission !== "granted") {
            throw new Error("Your browser did not allow notifications from Spoonful. You can change that in its site settings.");
          }
          return serviceWorkerReady();
        })
        .then(function (registration) { return subscribe(registration, keyBytes(form.dataset.vapidKey)); })
        .then(function (subscription) { return send(form, subscription); })
        .then(function () {
          setStatus(form, "This device now gets push notifications.");
          window.location.reload();
        })
        .catch(function (error) {
          var text = error && error.message === "not-ready"
            ? "The app is still starting on this device. Try again in a moment."
            : (error && error.message) || "Push notifications could not be turned on.";
          setStatus(form, text);
          button.disabled = false;
        });
    });
    form.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.push-subscribe[data-vapid-key]");
    if (form && supported()) { start(form); }
  });
})();
