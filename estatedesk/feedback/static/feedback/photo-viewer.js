/* The item page's photos (issue 11): tapping a thumbnail of [data-photo-grid] opens the full-size photo in
   the page's <dialog data-photo-viewer>, with previous / next (buttons, arrow keys, a swipe) and close
   (button, Escape, a tap beside the photo). Without script the thumbnail is a link to the photo.
   No inline script or style (Content-Security-Policy): this file is included by the page. */
(function () {
  "use strict";

  function setUp(grid) {
    var dialog = document.querySelector("dialog[data-photo-viewer]");
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    var links = Array.prototype.slice.call(grid.querySelectorAll("a[data-photo]"));
    var image = dialog.querySelector("[data-viewer-image]");
    var caption = dialog.querySelector("[data-viewer-caption]");
    var counter = dialog.querySelector("[data-viewer-counter]");
    var current = 0;

    function show(index) {
      current = (index + links.length) % links.length;
      var link = links[current];
      image.src = link.href;
      image.alt = link.getAttribute("data-name") || "";
      caption.textContent = link.getAttribute("data-name") || "";
      counter.textContent = (current + 1) + " / " + links.length;
      dialog.setAttribute("data-index", String(current));
    }

    links.forEach(function (link, index) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        show(index);
        dialog.showModal();
      });
    });
    dialog.querySelector("[data-viewer-prev]").addEventListener("click", function () { show(current - 1); });
    dialog.querySelector("[data-viewer-next]").addEventListener("click", function () { show(current + 1); });
    dialog.querySelector("[data-viewer-close]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) { dialog.close(); } // the backdrop, beside the photo
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") { show(current - 1); }
      if (event.key === "ArrowRight") { show(current + 1); }
    });
    var startX = null;
    dialog.addEventListener("touchstart", function (event) { startX = event.touches[0].clientX; }, {passive: true});
    dialog.addEventListener("touchend", function (event) {
      if (startX === null) { return; }
      var moved = event.changedTouches[0].clientX - startX;
      startX = null;
      if (Math.abs(moved) > 50) { show(current + (moved < 0 ? 1 : -1)); }
    });
    dialog.addEventListener("close", function () { image.removeAttribute("src"); });
    if (links.length < 2) {
      dialog.querySelector("[data-viewer-prev]").hidden = true;
      dialog.querySelector("[data-viewer-next]").hidden = true;
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-photo-grid]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
