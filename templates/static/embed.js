/* tipdesk's embed: put
     <script src="https://TIPDESK/embed.js" data-article="ID" async></script>
   where the form belongs in an article. It adds the form's iframe (the
   compact embed, without the heading and article title the article already
   shows) and keeps the frame as tall as the form, so nothing scrolls inside
   it. Optional: data-lang="fa" (the form's language), data-title (the
   frame's accessible name), and the article as the CMS signed it
   (data-article-title, data-article-url, data-article-section,
   data-article-language, data-sig: README, "Connecting your CMS"), so the
   form exists from the article's first view. Heights are taken only from
   tipdesk's own origin, the one this script came from, and only from this
   frame. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;
  var article = script.getAttribute("data-article");
  if (!article) return;
  var query = "?compact=1";
  var lang = script.getAttribute("data-lang");
  if (lang) query += "&lang=" + encodeURIComponent(lang);
  var sig = script.getAttribute("data-sig");
  if (sig) {
    ["title", "url", "section", "language"].forEach(function (field) {
      var value = script.getAttribute("data-article-" + field);
      if (value !== null) query += "&" + field + "=" + encodeURIComponent(value);
    });
    query += "&sig=" + encodeURIComponent(sig);
  }
  var frame = document.createElement("iframe");
  frame.src = origin + "/embed/articles/" + encodeURIComponent(article) + "/tip" + query;
  frame.title = script.getAttribute("data-title") || "Send a tip to the newsroom";
  frame.className = "tipdesk-embed";
  // Until the form says how tall it is: enough for the empty form on a phone.
  frame.style.cssText = "display:block;width:100%;border:0;height:720px";
  script.parentNode.insertBefore(frame, script);
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.type !== "tipdesk:height") return;
    var height = Number(data.height);
    if (!(height > 0 && height < 20000)) return;
    frame.style.height = Math.ceil(height) + "px";
  });
})();
