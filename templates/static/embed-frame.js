/* Inside tipdesk's embed: tells the article around it how tall the form
   is, each time that changes (an error summary appears, the thank-you page
   loads), so embed.js can size the frame. Only to the origins in
   embed.allowed_origins (TIPDESK_ORIGINS, written in by the server): a
   message addressed to another origin is dropped by the browser. */
(function () {
  "use strict";
  if (window.parent === window) return;
  var origins = TIPDESK_ORIGINS;
  if (!origins.length) return;
  var last = 0;
  function post() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    origins.forEach(function (origin) {
      window.parent.postMessage({ type: "tipdesk:height", height: height }, origin);
    });
  }
  if (window.ResizeObserver) new ResizeObserver(post).observe(document.documentElement);
  window.addEventListener("load", post);
  post();
})();
