/* Behaviour every page shares, from a file rather than inline script or on…= attributes, which the
   Content-Security-Policy (script-src 'self') refuses:
   - <select data-autosubmit> submits its form as soon as it changes (the language switch);
   - <form data-confirm="Question?"> asks before it is submitted;
   - <button data-print> prints the page. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
