// Live updates for a discussion page: new, edited and removed replies, lock state,
// reaction counts (handed to reactions.js) and "N reading", over ws(s)://<host>/ws/d/<id>/. An enhancement only: without
// it (or without scripting) the page works by reload.
//
// In low-energy mode (a class on <body>) new replies wait behind a "Show N new
// replies" button after the thread and "N reading" is never shown.
//
// Never misses a reply: every frame carries a sequence number; after a gap, a
// reconnect or a "resync", the page asks GET /d/<id>/replies/?after=<last number>
// and inserts what it lacks, deduplicated by reply number.
(function () {
  "use strict";

  var container = document.querySelector("#replies[data-discussion]");
  if (!container || !("WebSocket" in window)) { return; }

  var discussionId = container.getAttribute("data-discussion");
  var repliesUrl = container.getAttribute("data-replies-url") || "/d/" + discussionId + "/replies/";
  var lastNumber = parseInt(container.getAttribute("data-last-number") || "0", 10) || 0;
  // Whether the page shows the end of the thread; if not, new replies are
  // announced but not inserted into a window they do not belong to.
  var showsEnd = !document.querySelector(".show-more");
  // "Most thanked first": new replies belong to the conversation order, not this one.
  var ranked = container.getAttribute("data-order") === "thanked";
  // Low-energy mode: new replies wait, unseen, until the reader asks for them with
  // "Show N new replies"; nothing moves by itself, and nobody is counted as reading.
  var lowEnergy = document.body.classList.contains("low-energy");
  var waiting = [];

  var socket = null;
  var seq = null;
  var greeted = false;
  var attempts = 0;
  var paused = false;
  var stopped = false;
  var reconnectTimer = null;
  var catchingUp = null;
  var unseen = [];
  var pendingAnnouncements = [];
  var announceTimer = null;

  // --- What the page gains: a status line, a polite announcer, a "new replies" button.
  var status = document.createElement("p");
  status.className = "live-status muted";
  status.id = "live-status";
  var reading = document.createElement("span");
  reading.className = "live-reading";
  var lockNote = document.createElement("span");
  lockNote.className = "live-lock";
  var connection = document.createElement("span");
  connection.className = "live-connection";
  status.appendChild(reading);
  status.appendChild(lockNote);
  status.appendChild(connection);
  container.parentNode.insertBefore(status, container);

  var announcer = document.createElement("div");
  announcer.className = "live-announcer";
  announcer.setAttribute("role", "status");
  announcer.setAttribute("aria-live", "polite");
  announcer.setAttribute("aria-atomic", "true");
  document.body.appendChild(announcer);

  var newButton = document.createElement("button");
  newButton.type = "button";
  newButton.className = "live-new-replies";
  newButton.hidden = true;
  newButton.textContent = "New replies";
  newButton.addEventListener("click", function () {
    var first = unseen.length ? document.getElementById("reply-" + unseen[0]) : null;
    clearUnseen();
    if (first) {
      first.scrollIntoView({ block: "start" });
      first.setAttribute("tabindex", "-1");
      first.focus({ preventScroll: true });
    }
  });
  document.body.appendChild(newButton);

  // In low-energy mode: a plain button in the page, after the thread, never a pill.
  var showWaiting = document.createElement("button");
  showWaiting.type = "button";
  showWaiting.className = "live-show-waiting";
  showWaiting.hidden = true;
  showWaiting.addEventListener("click", function () {
    var batch = waiting.sort(function (a, b) { return a.number - b.number; });
    waiting = [];
    updateWaiting();
    var first = null;
    batch.forEach(function (reply) {
      if (insertReply(reply.number, reply.html, true) && first === null) { first = reply.number; }
    });
    if (first === null && !showsEnd && batch.length) {
      // They belong further on than this window: open the thread there.
      window.location.href = "?at=" + batch[0].number + "#reply-" + batch[0].number;
      return;
    }
    var element = first !== null ? document.getElementById("reply-" + first) : null;
    if (element) {
      element.setAttribute("tabindex", "-1");
      element.scrollIntoView({ block: "start" });
      element.focus({ preventScroll: true });
    }
  });
  if (lowEnergy) { container.parentNode.insertBefore(showWaiting, container.nextSibling); }

  function updateWaiting() {
    showWaiting.hidden = waiting.length === 0;
    showWaiting.textContent = waiting.length === 1 ? "Show 1 new reply" : "Show " + waiting.length + " new replies";
  }

  function wait(number, html) {
    if (known(number) || waiting.some(function (reply) { return reply.number === number; })) { return; }
    lastNumber = Math.max(lastNumber, number);
    waiting.push({ number: number, html: html });
    updateWaiting();
    announce(waiting.length === 1 ? "1 new reply is waiting." : waiting.length + " new replies are waiting.");
  }

  function known(number) {
    return document.getElementById("reply-" + number) !== null;
  }

  function setConnection(text) {
    connection.textContent = text ? " · " + text : "";
  }

  function setReading(count) {
    reading.textContent = count > 0 && !lowEnergy ? count + " reading" : "";
  }

  function setLocked(locked) {
    lockNote.textContent = locked ? " · Locked: no new replies" : "";
    var form = document.querySelector("form.reply-form button[type=submit]");
    if (form) { form.disabled = !!locked; }
  }

  function announce(text) {
    pendingAnnouncements.push(text);
    if (announceTimer) { return; }
    // Several replies at once are read out as one sentence, not a stream.
    announceTimer = window.setTimeout(function () {
      var items = pendingAnnouncements;
      pendingAnnouncements = [];
      announceTimer = null;
      announcer.textContent = items.length > 3 ? items.length + " updates in this discussion." : items.join(" ");
    }, 700);
  }

  // --- Unseen replies and the button that brings the reader to them.
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) { return; }
      var number = parseInt(entry.target.getAttribute("data-number"), 10);
      unseen = unseen.filter(function (n) { return n !== number; });
      observer.unobserve(entry.target);
      updateButton();
    });
  }) : null;

  function updateButton() {
    newButton.hidden = unseen.length === 0;
    newButton.textContent = unseen.length === 1 ? "1 new reply" : unseen.length + " new replies";
  }

  function clearUnseen() {
    unseen = [];
    updateButton();
  }

  function inView(element) {
    var box = element.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  }

  // --- Changing the thread while keeping the reader where they are.
  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function keepingScroll(change) {
    // The first reply visible at the top stays exactly where it is on screen.
    var anchor = null;
    var anchorTop = 0;
    var articles = container.querySelectorAll("article[data-number]");
    for (var i = 0; i < articles.length; i++) {
      var top = articles[i].getBoundingClientRect().top;
      if (top >= 0) { anchor = articles[i]; anchorTop = top; break; }
    }
    change();
    if (anchor && anchor.isConnected) {
      var shift = anchor.getBoundingClientRect().top - anchorTop;
      if (shift !== 0) { window.scrollBy(0, shift); }
    }
  }

  function insertReply(number, html, asked) {
    if (known(number)) { return false; }
    if (ranked) {
      lastNumber = Math.max(lastNumber, number);
      announce("New reply #" + number + ", in conversation order.");
      return false;
    }
    if (lowEnergy && !asked) { wait(number, html); return false; }
    var element = parse(html);
    if (!element) { return false; }
    lastNumber = Math.max(lastNumber, number);
    var path = element.getAttribute("data-path") || "";
    var articles = container.querySelectorAll("article[data-number]");
    var before = null;
    for (var i = 0; i < articles.length; i++) {
      if ((articles[i].getAttribute("data-path") || "") > path) { before = articles[i]; break; }
    }
    if (!before && !showsEnd) {
      if (asked) { return false; }
      // It belongs after the part of the thread this page shows.
      announce("New reply #" + number + " further on in this discussion.");
      return false;
    }
    keepingScroll(function () {
      var empty = container.querySelector(".no-replies");
      if (empty) { empty.remove(); }
      element.classList.add("live-new");
      container.insertBefore(element, before);
    });
    if (asked) { return true; }
    if (!inView(element)) {
      unseen.push(number);
      if (observer) { observer.observe(element); }
      updateButton();
    }
    announce("New reply #" + number + ".");
    return true;
  }

  function replaceReply(number, html) {
    var current = document.getElementById("reply-" + number);
    if (!current) { return; }
    var element = parse(html);
    if (!element) { return; }
    // The counts this reader has (their own, less whom they blocked) stay: the frame
    // was rendered for a whole audience and carries none.
    var counts = current.querySelector(".reactions");
    var blank = element.querySelector(".reactions");
    if (counts && blank) { blank.replaceWith(counts); }
    keepingScroll(function () { current.replaceWith(element); });
    announce(element.classList.contains("reply-tombstone") ? "Reply #" + number + " was removed." : "Reply #" + number + " was edited.");
  }

  function removeReply(number) {
    var current = document.getElementById("reply-" + number);
    if (current) { keepingScroll(function () { current.remove(); }); }
  }

  // --- Catching up over HTTP: the database is the source of truth.
  function catchUp() {
    if (catchingUp) { return catchingUp; }
    catchingUp = fetchAfter().finally(function () { catchingUp = null; });
    return catchingUp;
  }

  function fetchAfter() {
    var url = repliesUrl + (repliesUrl.indexOf("?") >= 0 ? "&" : "?") + "after=" + lastNumber;
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("catch-up answered " + response.status); }
        return response.json();
      })
      .then(function (data) {
        data.replies.forEach(function (reply) { insertReply(reply.number, reply.html); });
        lastNumber = Math.max(lastNumber, data.last_number || 0);
        if (data.has_more) { return fetchAfter(); }
      })
      .catch(function () { /* the next reconnect or gap tries again */ });
  }

  // --- The socket.
  function handle(frame) {
    if (frame.type === "hello") {
      greeted = true;
      attempts = 0;
      seq = frame.seq;
      setConnection("");
      setLocked(frame.locked);
      if (frame.last_number > lastNumber) { catchUp(); }
      return;
    }
    if (frame.type === "presence") { setReading(frame.reading); return; }
    if (frame.type === "resync") { catchUp(); return; }
    if (typeof frame.seq === "number") {
      if (seq !== null && frame.seq <= seq) { return; }  // already covered
      var gap = seq !== null && frame.seq > seq + 1;
      seq = frame.seq;
      if (gap) { catchUp(); }
    }
    if (frame.type === "reply.created") {
      if (!known(frame.number) && frame.number > lastNumber + 1 && !catchingUp) {
        // Fill whatever came before this one first, then place it.
        catchUp().then(function () { insertReply(frame.number, frame.html); });
      } else {
        insertReply(frame.number, frame.html);
      }
    } else if (frame.type === "reply.changed") {
      replaceReply(frame.number, frame.html);
    } else if (frame.type === "reply.gone") {
      removeReply(frame.number);
    } else if (frame.type === "discussion") {
      setLocked(frame.locked);
    } else if (frame.type === "reactions") {
      document.dispatchEvent(new CustomEvent("spoonful:reactions", { detail: frame }));
    }
  }

  function connect() {
    if (stopped || paused) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var wasGreeted = greeted;
    greeted = false;
    socket = new WebSocket(scheme + window.location.host + "/ws/d/" + discussionId + "/");
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      if (frame.type === "hello" && wasGreeted) {
        // Back after a drop: whatever happened meanwhile comes from the database.
        handle(frame);
        catchUp();
        return;
      }
      handle(frame);
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (paused) { return; }
      if (event.code === 4429 || (event.code === 4403 && !greeted)) {
        // Not allowed (or too many tabs): reloading is the way back.
        stopped = true;
        setConnection("live updates are off; reload for new replies");
        return;
      }
      setConnection("reconnecting…");
      scheduleReconnect();
    });
    // Bound to this socket: after a reconnect the old timer stops instead of pinging the new one.
    var pinged = socket;
    var ping = window.setInterval(function () {
      if (pinged.readyState !== WebSocket.OPEN) { window.clearInterval(ping); return; }
      pinged.send('{"type":"ping"}');
    }, 25000);
  }

  function scheduleReconnect() {
    var delay = window.spoonfulReconnectDelay(attempts);
    attempts += 1;
    window.clearTimeout(reconnectTimer);
    reconnectTimer = window.setTimeout(connect, delay);
  }

  // Tests (and nothing else) drop and restore the connection with these events.
  document.addEventListener("spoonful:live-pause", function () {
    paused = true;
    if (socket) { socket.close(); }
  });
  document.addEventListener("spoonful:live-resume", function () {
    paused = false;
    greeted = true;  // treat it as a reconnect: catch up on arrival
    scheduleReconnect();
  });
  window.addEventListener("online", function () {
    if (!socket && !stopped && !paused) { attempts = 0; scheduleReconnect(); }
  });

  connect();
})();
