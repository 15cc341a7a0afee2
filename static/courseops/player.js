// The portal's player (lessons and webinar recordings: templates/portal/player.html):
// resume where the student left, playback speed, chapters and timestamps that seek, the
// watched share reported to the server (every 10 s at most while playing, on pause and
// end, and on leaving the page), and copy buttons ([data-copy], a recording's passcode).
// Loaded as a static file: the portal's Content-Security-Policy refuses inline scripts
// and handlers.
(function () {
  "use strict";
  var REPORT_EVERY_MS = 10000;
  var BUCKET_SECONDS = 5;
  var RATE_KEY = "courseops.playbackRate";

  var video = document.getElementById("player-video");
  var embed = document.getElementById("player-embed");

  function stampOf(seconds) {
    seconds = Math.floor(seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    var mm = (m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function seekTo(seconds) {
    if (video) {
      video.currentTime = seconds;
      video.play().catch(function () { /* autoplay refused: the position is set anyway */ });
      video.focus();
    } else if (embed) {
      var base = embed.getAttribute("data-src");
      embed.src = embed.getAttribute("data-provider") === "vimeo"
        ? base + "?autoplay=1#t=" + seconds + "s"
        : base + "?autoplay=1&start=" + seconds;
      embed.focus();
    }
  }

  document.querySelectorAll("[data-seek]").forEach(function (button) {
    button.addEventListener("click", function () {
      seekTo(parseInt(button.getAttribute("data-seek"), 10) || 0);
    });
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var status = document.getElementById(button.getAttribute("aria-describedby"));
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        if (status) status.textContent = button.getAttribute("data-copied");
      }, function () {
        if (status) status.textContent = button.getAttribute("data-failed");
      });
    });
  });

  if (!video) return;

  // A cached video can have its metadata before this deferred script runs, and then
  // "loadedmetadata" has already fired: run now in that case, else on the event.
  function whenMetadata(callback) {
    if (video.readyState >= 1) callback();
    else video.addEventListener("loadedmetadata", callback, {once: true});
  }

  var rate = document.getElementById("playback-rate");
  var saved = window.localStorage.getItem(RATE_KEY);
  if (saved && rate.querySelector('option[value="' + saved + '"]')) rate.value = saved;
  function applyRate() { video.playbackRate = parseFloat(rate.value) || 1; }
  rate.addEventListener("change", function () {
    applyRate();
    window.localStorage.setItem(RATE_KEY, rate.value);
  });
  video.addEventListener("loadedmetadata", applyRate);
  if (video.readyState >= 1) applyRate();
  video.addEventListener("ratechange", function () {
    if (String(video.playbackRate) !== rate.value) rate.value = String(video.playbackRate);
  });

  // The 5-second stretches seen, kept per student and video in this browser so a later
  // visit adds to them (and another student's on the same browser does not); the server
  // keeps the highest share it was told.
  var url = video.getAttribute("data-playback-url");
  var storeKey = "courseops.watched." + video.getAttribute("data-viewer") + "." + url;
  var seen = {};
  (JSON.parse(window.localStorage.getItem(storeKey) || "[]")).forEach(function (b) { seen[b] = true; });
  var lastTime = null;
  var reported = {position: -1, watched: parseInt(video.getAttribute("data-watched"), 10) || 0};
  var lastSent = 0;
  var note = document.getElementById("watched-note");

  function watchedPercent() {
    if (!video.duration || !isFinite(video.duration)) return 0;
    var buckets = Math.ceil(video.duration / BUCKET_SECONDS);
    var count = Object.keys(seen).length;
    return Math.min(100, Math.round(count * 100 / buckets));
  }

  function report(leaving) {
    var position = Math.floor(video.currentTime || 0);
    var watched = Math.max(watchedPercent(), reported.watched);
    if (position === reported.position && watched === reported.watched) return;
    reported = {position: position, watched: watched};
    lastSent = Date.now();
    window.localStorage.setItem(storeKey, JSON.stringify(Object.keys(seen)));
    var body = new URLSearchParams({position: String(position), watched: String(watched)});
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      keepalive: !!leaving,
      headers: {"X-CSRFToken": video.getAttribute("data-csrf")}
    }).catch(function () { /* the next report carries the same numbers */ });
    if (note) note.textContent = note.getAttribute("data-template").replace("%s", watched);
  }

  video.addEventListener("timeupdate", function () {
    var now = video.currentTime;
    // Count only time played through, not a jump made by seeking.
    if (!video.paused && lastTime !== null && now >= lastTime && now - lastTime < 2) {
      seen[Math.floor(now / BUCKET_SECONDS)] = true;
    }
    lastTime = now;
    if (Date.now() - lastSent >= REPORT_EVERY_MS) report(false);
  });
  video.addEventListener("seeking", function () { lastTime = null; });
  video.addEventListener("pause", function () { report(false); });
  video.addEventListener("ended", function () { report(false); });
  window.addEventListener("pagehide", function () { report(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") report(true);
  });

  var resume = parseInt(video.getAttribute("data-resume"), 10) || 0;
  whenMetadata(function () {
    if (resume > 0 && resume < video.duration - 3) {
      video.currentTime = resume;
      var resumed = document.getElementById("resume-note");
      if (resumed) {
        resumed.textContent = resumed.getAttribute("data-template").replace("%s", stampOf(resume));
        resumed.hidden = false;
      }
    }
    lastTime = video.currentTime;
  });
})();
